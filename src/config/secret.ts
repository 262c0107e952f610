// The shared secret: read from --passfile (its first line, as ucarp reads it) or given as --pass /
// FLOATD_PASS, with one rule for whitespace so that "secret" and "secret   " are the same key.
import { open } from 'node:fs/promises';
import type { SecretSource } from './config.js';
import { DEFAULT_KEY_ID, type SigningKey } from '../protocol/auth.js';
import { parseKeyFile, KEYS_HEADER } from './key-file.js';

// Startup failures about the secret; the message names the flag and the path.
export class SecretError extends Error {
  override name = 'SecretError';
}

// The key, how many spaces/tabs were cut from around it, and a passfile's mode when group or others may
// read it: the agent warns about both at start.
export interface Secret {
  key: Buffer; // the key that signs
  trimmed: number;
  exposed?: { flag: string; path: string; mode: string };
  keys?: Keys; // a key file (key-file.ts): several keys, one of them active
}

// The keys an agent holds: every one is accepted on receipt, `active` signs what it sends.
export interface Keys {
  active: string;
  keys: SigningKey[];
}

// The keys of a secret: a single-line passfile or --pass is one key, "default", that signs and is accepted.
export function keysOf(secret: Secret): Keys {
  return secret.keys ?? { active: DEFAULT_KEY_ID, keys: [{ id: DEFAULT_KEY_ID, key: secret.key }] };
}

// The one-line command that makes a key file as the guide does: root-only from the start, one base64 line.
export function keyCommand(path: string): string {
  return `install -m 600 /dev/null ${path} && head -c 32 /dev/urandom | base64 > ${path}`;
}

// The start-up warning for a key others may read (ssh refuses such a private key; floatd warns, as a
// refusal would stop a cluster that has run for years with it).
export function exposedWarning(e: NonNullable<Secret['exposed']>): string {
  return `${e.flag} "${e.path}" is readable by group or others (mode ${e.mode}): whoever reads the shared secret can forge adverts and take the VIP; run chmod 600 ${e.path}`;
}

// Leading and trailing spaces and tabs are never part of the secret: an editor, `echo "secret " >`, or a
// pasted line leaves them on one node and not the other, and the two nodes then cannot verify each other
// (both become master). Whitespace inside the secret is kept. Pure.
export function normalizeSecret(text: string): Secret {
  const key = text.replace(/^[ \t]+|[ \t]+$/g, '');
  return { key: Buffer.from(key, 'utf8'), trimmed: text.length - key.length };
}

// Reads and normalizes the secret; throws SecretError when it is missing or blank.
export async function readSecret(s: SecretSource): Promise<Secret> {
  if (s.kind === 'pass') {
    const secret = normalizeSecret(s.value);
    if (secret.key.length === 0) throw new SecretError(`${s.fromEnv ? 'FLOATD_PASS' : '--pass'} is blank: the shared secret cannot be only spaces`);
    return secret;
  }
  const flag = s.fromEnv ? 'FLOATD_PASSFILE' : '--passfile';
  let text: string;
  let mode: number;
  try {
    const file = await open(s.path, 'r');
    try {
      mode = (await file.stat()).mode & 0o777;
      text = await file.readFile('utf8');
    } finally {
      await file.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SecretError(`${flag} "${s.path}" does not exist; create the shared key with: ${keyCommand(s.path)} (then copy it to every node of the VIP)`);
    throw new SecretError(`${flag} "${s.path}" cannot be read: ${code ?? (err as Error).message}`);
  }
  // ucarp reads the first line; a CRLF file from Windows gives the same key as an LF one.
  const first = (text.split('\n')[0] ?? '').replace(/\r$/, '');
  let secret: Secret;
  if (normalizeSecret(first).key.toString() === KEYS_HEADER) {
    const parsed = parseKeyFile(text, `${flag} "${s.path}"`);
    if (typeof parsed === 'string') throw new SecretError(parsed);
    const active = parsed.keys.find((k) => k.id === parsed.active);
    secret = { key: active?.key ?? Buffer.alloc(0), trimmed: 0, keys: parsed };
  } else {
    secret = normalizeSecret(first);
    if (secret.key.length === 0) throw new SecretError(`${flag} "${s.path}" is empty: its first line is the shared secret`);
  }
  return (mode & 0o077) === 0 ? secret : { ...secret, exposed: { flag, path: s.path, mode: `0${mode.toString(8).padStart(3, '0')}` } };
}
