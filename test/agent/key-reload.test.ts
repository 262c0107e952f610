// SIGHUP's reload of the keys: a good file replaces them at once; a bad one changes nothing and says why.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyReload } from '../../src/agent/key-reload.js';
import type { Keys } from '../../src/config/secret.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'floatd-reload-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

function reloader(path: string, start: Keys) {
  const lines: { level: number; msg: string; event?: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
      done();
    },
  });
  const applied: Keys[] = [];
  const r = new KeyReload({ source: { kind: 'file', path, fromEnv: false }, keys: start, log: pino(stream), apply: (k) => applied.push(k) });
  return { r, lines, applied };
}

const single: Keys = { active: 'default', keys: [{ id: 'default', key: Buffer.from('old') }] };

describe('reloading the keys', () => {
  it('a single-line passfile becomes a key file: the new keys apply, and the log says which signs', async () => {
    const path = join(dir, 'key');
    await writeFile(path, 'floatd-keys v1\nkey default old\nkey 2 new\nactive default\n', { mode: 0o600 });
    const { r, lines, applied } = reloader(path, single);
    await r.reload();
    expect(applied).toEqual([{ active: 'default', keys: [{ id: 'default', key: Buffer.from('old') }, { id: '2', key: Buffer.from('new') }] }]);
    expect(r.current().active).toBe('default');
    expect(r.reloads).toEqual({ ok: 1, failed: 0 });
    expect(lines.at(-1)?.msg).toBe(`keys reloaded from ${path}: signing with "default", accepting "default", "2"`);
  });

  it('a bad file changes nothing: the keys in use stay, an error names the file and the line', async () => {
    const path = join(dir, 'bad');
    await writeFile(path, 'floatd-keys v1\nkey 2 new\nactive 3\n', { mode: 0o600 });
    const { r, lines, applied } = reloader(path, single);
    await r.reload();
    expect(applied).toEqual([]);
    expect(r.current()).toBe(single);
    expect(r.reloads).toEqual({ ok: 0, failed: 1 });
    expect(lines.at(-1)).toMatchObject({ level: 50, msg: `keys not reloaded, the keys in use stay (signing with "default"): --passfile "${path}" line 3: active key "3" is not one of its keys (2)` });
  });
});
