// The whitespace rule for secrets: "secret", "secret   " and "\tsecret" are one key on every node.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exposedWarning, normalizeSecret, readSecret } from '../../src/config/secret.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'floatd-secret-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const fileWith = async (name: string, text: string) => {
  const path = join(dir, name);
  await writeFile(path, text);
  return { kind: 'file' as const, path, fromEnv: false };
};

describe('secrets', () => {
  it('drops leading and trailing spaces and tabs, keeps inner ones, and says how many it dropped', () => {
    expect(normalizeSecret('secret')).toEqual({ key: Buffer.from('secret'), trimmed: 0 });
    expect(normalizeSecret('secret   ')).toEqual({ key: Buffer.from('secret'), trimmed: 3 });
    expect(normalizeSecret('\t secret')).toEqual({ key: Buffer.from('secret'), trimmed: 2 });
    expect(normalizeSecret(' correct horse  battery ')).toEqual({ key: Buffer.from('correct horse  battery'), trimmed: 2 });
  });

  it('gives the same key for LF, CRLF and trailing-space passfiles, from their first line', async () => {
    const keys = await Promise.all(
      [['lf', 'secret\nsecond\n'], ['crlf', 'secret\r\nsecond\r\n'], ['spaces', 'secret   \n'], ['no-newline', 'secret'], ['crlf-spaces', 'secret \t\r\n']].map(async ([n, t]) => (await readSecret(await fileWith(n!, t!))).key.toString()),
    );
    expect(keys).toEqual(['secret', 'secret', 'secret', 'secret', 'secret']);
  });

  it('refuses a passfile whose first line is only blanks, naming the flag and the path', async () => {
    const src = await fileWith('blank', '   \t\nsecret\n');
    await expect(readSecret(src)).rejects.toThrow(`--passfile "${src.path}" is empty: its first line is the shared secret`);
    await expect(readSecret({ kind: 'file', path: src.path, fromEnv: true })).rejects.toThrow(/^FLOATD_PASSFILE /);
  });

  it('applies the same rule to --pass and FLOATD_PASS', async () => {
    expect((await readSecret({ kind: 'pass', value: ' secret ', fromEnv: false })).key.toString()).toBe('secret');
    await expect(readSecret({ kind: 'pass', value: '   ', fromEnv: true })).rejects.toThrow('FLOATD_PASS is blank: the shared secret cannot be only spaces');
  });

  it('says when group or others may read a passfile, with its mode; a root-only one is not remarked on', async () => {
    const open = await fileWith('open', 'secret\n');
    await chmod(open.path, 0o640);
    const { exposed } = await readSecret(open);
    expect(exposed).toEqual({ flag: '--passfile', path: open.path, mode: '0640' });
    expect(exposedWarning(exposed!)).toMatch(new RegExp(`^--passfile ".*open" is readable by group or others \\(mode 0640\\): .*; run chmod 600 .*open$`));
    await chmod(open.path, 0o600);
    expect((await readSecret(open)).exposed).toBeUndefined();
  });

  it('refuses a passfile that does not exist, naming the flag and the path and printing the command that makes one', async () => {
    const path = join(dir, 'none');
    await expect(readSecret({ kind: 'file', path, fromEnv: true })).rejects.toThrow(`FLOATD_PASSFILE "${path}" does not exist; create the shared key with: install -m 600 /dev/null ${path} && head -c 32 /dev/urandom | base64 > ${path} (then copy it to every node of the VIP)`);
  });
});
