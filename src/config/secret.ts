// The shared secret: read from --passfile (its first line, as ucarp reads it) or given as --pass /
// FLOATD_PASS, with one rule for whitespace so that "secret" and "secret   " are the same key.
import { readFile } from 'node:fs/promises';
import type { SecretSource } from './config.js';

// Startup failures about the secret; the message names the flag and the path.
export class SecretError extends Error {
  override name = 'SecretError';
}

// The key and how many spaces/tabs were cut from around it (the agent warns when any were).
export interface Secret {
  key: Buffer;
  trimmed: number;
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
  try {
    text = await readFile(s.path, 'utf8');
  } catch (err) {
    throw new SecretError(`${flag} "${s.path}" cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  // ucarp reads the first line; a CRLF file from Windows gives the same key as an LF one.
  const first = (text.split('\n')[0] ?? '').replace(/\r$/, '');
  const secret = normalizeSecret(first);
  if (secret.key.length === 0) throw new SecretError(`${flag} "${s.path}" is empty: its first line is the shared secret`);
  return secret;
}
