// The passfile with several keys (key rotation): how it is read, and every kind of bad input refused with
// the file, the line and the bad word — never the secret. A single-line passfile stays what it always was.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseKeyFile } from '../../src/config/key-file.js';
import { keysOf, readSecret } from '../../src/config/secret.js';

const WHERE = '--passfile "/etc/floatd/key"';
const file = (...lines: string[]) => ['floatd-keys v1', ...lines].join('\n') + '\n';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'floatd-keys-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('a passfile of keys', () => {
  it('reads keys with ids, the active one, comments and blank lines; spaces around a secret are not part of it', () => {
    const parsed = parseKeyFile(file('# rotated 2024-06', '', 'key 2024-01 old secret  ', '\tkey 2024-06\tnew\tsecret', 'active 2024-06'), WHERE);
    expect(parsed).toEqual({
      active: '2024-06',
      keys: [
        { id: '2024-01', key: Buffer.from('old secret') },
        { id: '2024-06', key: Buffer.from('new\tsecret') },
      ],
    });
  });

  it('takes CRLF line endings like LF ones', () => {
    expect(parseKeyFile('floatd-keys v1\r\nkey a one\r\nactive a\r\n', WHERE)).toEqual({ active: 'a', keys: [{ id: 'a', key: Buffer.from('one') }] });
  });

  it.each([
    [file('key'), `${WHERE} line 2: "key" needs an id and a secret: key ID SECRET`],
    [file('key a'), `${WHERE} line 2: key "a" has no secret: key ID SECRET`],
    [file('key a/b s3cret', 'active a/b'), `${WHERE} line 2: a key id must be 1–32 letters, digits, ".", "_" or "-", got "a/b"`],
    [file('key ' + 'x'.repeat(33) + ' s3cret'), `${WHERE} line 2: a key id must be 1–32 letters, digits, ".", "_" or "-", got "${'x'.repeat(33)}"`],
    [file('key a s3cret', '', 'key a other', 'active a'), `${WHERE} line 4: key id "a" is given twice (lines 2 and 4)`],
    [file('key a s3cret', 'active a', 'active a'), `${WHERE} line 4: "active" is given twice (lines 3 and 4)`],
    [file('key a s3cret', 'active'), `${WHERE} line 3: "active" needs the id of the key that signs: active ID, got ""`],
    [file('key a s3cret', 'active a b'), `${WHERE} line 3: "active" needs the id of the key that signs: active ID, got "a b"`],
    [file('key a s3cret', 'active b'), `${WHERE} line 3: active key "b" is not one of its keys (a)`],
    [file('key a s3cret', 'key b t0p'), `${WHERE} has no "active ID" line: say which of its keys (a, b) this node signs with`],
    [file('# nothing yet'), `${WHERE} has no keys after its "floatd-keys v1" line: add lines "key ID SECRET"`],
  ])('refuses %j: %s', (text, message) => {
    expect(parseKeyFile(text, WHERE)).toBe(message);
  });

  it('a mistyped line is named by its first word only: the rest may be a secret', () => {
    const message = parseKeyFile(file('kye a s3cret', 'active a'), WHERE);
    expect(message).toBe(`${WHERE} line 2: expected "key ID SECRET", "active ID" or a # comment, got "kye"`);
    expect(message).not.toContain('s3cret');
  });

  it('readSecret: the active key signs and every key is accepted; a bad file is a SecretError naming the flag', async () => {
    const path = join(dir, 'ring');
    await writeFile(path, file('key 1 first', 'key 2 second', 'active 2'), { mode: 0o600 });
    const secret = await readSecret({ kind: 'file', path, fromEnv: false });
    expect(secret.key).toEqual(Buffer.from('second'));
    expect(keysOf(secret)).toEqual({ active: '2', keys: [{ id: '1', key: Buffer.from('first') }, { id: '2', key: Buffer.from('second') }] });
    await writeFile(path, file('key 1 first', 'active 3'));
    await expect(readSecret({ kind: 'file', path, fromEnv: true })).rejects.toThrow(`FLOATD_PASSFILE "${path}" line 3: active key "3" is not one of its keys (1)`);
  });

  it('a single-line passfile is one key, "default", byte for byte as before (other lines ignored, as ucarp)', async () => {
    const path = join(dir, 'single');
    await writeFile(path, 'key 1 looks like a key line\nactive 1\n', { mode: 0o600 });
    const secret = await readSecret({ kind: 'file', path, fromEnv: false });
    expect(secret.key).toEqual(Buffer.from('key 1 looks like a key line'));
    expect(keysOf(secret)).toEqual({ active: 'default', keys: [{ id: 'default', key: Buffer.from('key 1 looks like a key line') }] });
  });
});
