// A passfile that holds several keys, for a key rotation without a window (docs/operations.md: key rotation).
// Its first line is the header below; a passfile whose first line is anything else is the single secret it
// always was, read as ucarp reads it (secret.ts). Then, one a line:
//
//   key ID SECRET     a key every node accepts on receipt; ID is 1–32 of A–Z a–z 0–9 . _ -, SECRET the rest
//                     of the line (spaces and tabs around it are not part of it, as for a single secret)
//   active ID         the key this node signs with, once
//   # …               a comment; blank lines are ignored too
//
// Pure. An error names the file, the line and the bad word, and never quotes a secret.
import type { SigningKey } from '../protocol/auth.js';

export const KEYS_HEADER = 'floatd-keys v1';
const ID = /^[A-Za-z0-9._-]{1,32}$/;

export interface KeyFile {
  active: string;
  keys: SigningKey[];
}

// `where` names the file as the flag gave it: `--passfile "/etc/floatd/key"`. A problem comes back as text.
export function parseKeyFile(text: string, where: string): KeyFile | string {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  const keys: (SigningKey & { line: number })[] = [];
  let active: { id: string; line: number } | undefined;
  for (let i = 1; i < lines.length; i++) {
    const n = i + 1;
    const at = `${where} line ${n}`;
    const t = (lines[i] ?? '').replace(/^[ \t]+|[ \t]+$/g, '');
    if (t === '' || t.startsWith('#')) continue;
    const [, word = '', rest = ''] = /^(\S+)(?:[ \t]+(.*))?$/.exec(t) ?? [];
    if (word === 'key') {
      const [, id = '', secret = ''] = /^(\S+)(?:[ \t]+(.*))?$/.exec(rest) ?? [];
      if (id === '') return `${at}: "key" needs an id and a secret: key ID SECRET`;
      if (!ID.test(id)) return `${at}: a key id must be 1–32 letters, digits, ".", "_" or "-", got "${id}"`;
      if (secret === '') return `${at}: key "${id}" has no secret: key ID SECRET`;
      const twice = keys.find((k) => k.id === id);
      if (twice) return `${at}: key id "${id}" is given twice (lines ${twice.line} and ${n})`;
      keys.push({ id, key: Buffer.from(secret, 'utf8'), line: n });
    } else if (word === 'active') {
      if (!/^\S+$/.test(rest)) return `${at}: "active" needs the id of the key that signs: active ID, got "${rest}"`;
      if (active) return `${at}: "active" is given twice (lines ${active.line} and ${n})`;
      active = { id: rest, line: n };
    } else {
      // Only the first word is quoted: the rest of a mistyped line may be a secret.
      return `${at}: expected "key ID SECRET", "active ID" or a # comment, got "${word}"`;
    }
  }
  if (keys.length === 0) return `${where} has no keys after its "${KEYS_HEADER}" line: add lines "key ID SECRET"`;
  if (!active) return `${where} has no "active ID" line: say which of its keys (${keys.map((k) => k.id).join(', ')}) this node signs with`;
  const id = active.id;
  if (!keys.some((k) => k.id === id)) return `${where} line ${active.line}: active key "${id}" is not one of its keys (${keys.map((k) => k.id).join(', ')})`;
  return { active: id, keys: keys.map((k) => ({ id: k.id, key: k.key })) };
}
