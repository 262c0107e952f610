// The shared secret: read from --passfile (its first line, as ucarp reads it) or given as --pass /
// FLOATD_PASS, with one rule for whitespace so that "secret" and "secret   " are the same key.
import { open } from 'node:fs/promises';
import type { SecretSource } from './config.js';

// Startup failures about the secret; the message names the flag and the path.
export class SecretError extends Error {
  override name = 'SecretError';
}

// The key, how many spaces/tabs were cut from around it, and a passfile's mode when group or others may
// read it: the agent warns about both at start.
export interface Secret {
  key: Buffer;
  trimmed: number;
  exposed?: { flag: string; path: string; mode: string };
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
  const secret = normalizeSecret(first);
  if (secret.key.length === 0) throw new SecretError(`${flag} "${s.path}" is empty: its first line is the shared secret`);
  return (mode & 0o077) === 0 ? secret : { ...secret, exposed: { flag, path: s.path, mode: `0${mode.toString(8).padStart(3, '0')}` } };
}
