// --data-version's output: a number from 0 to 2^64−1, or a problem that names what was printed; a fresh
// reading drops the one under way.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DataVersionRunner, parseDataVersion } from '../../src/agent/data-version.js';

describe('parseDataVersion', () => {
  it.each([
    ['42\n', 42n],
    ['  7 ', 7n],
    ['18446744073709551615', 2n ** 64n - 1n],
  ])('%j is %s', (out, v) => expect(parseDataVersion(out)).toEqual({ version: v }));

  it.each(['', 'abc', '-1', '1.5', '18446744073709551616', '1 2'])('%j is a problem that quotes it', (out) => {
    const r = parseDataVersion(out);
    expect(r).toEqual({ problem: `printed ${JSON.stringify(out.trim())}, not a number from 0 to 2^64-1` });
  });
});

describe('DataVersionRunner.runFresh', () => {
  it('drops a reading under way: the next one delivered is read after the call', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'floatd-dv-'));
    try {
      const value = join(dir, 'value');
      const script = join(dir, 'version');
      // Reads the value first, then takes its time: a reading begun before the change reports the old value.
      writeFileSync(script, `#!/bin/sh\nv=$(cat ${value})\nsleep 0.3\necho "$v"\n`);
      chmodSync(script, 0o755);
      writeFileSync(value, '1');
      const seen: unknown[] = [];
      let resolve: () => void = () => undefined;
      const first = new Promise<void>((r) => (resolve = r));
      const runner = new DataVersionRunner(script, pino({ level: 'silent' }), (e) => {
        seen.push(e);
        resolve();
      });
      runner.start();
      await new Promise((r) => setTimeout(r, 100));
      writeFileSync(value, '2');
      runner.runFresh();
      await first;
      runner.stop();
      expect(seen).toEqual([{ type: 'data-version', version: 2n }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('DataVersionRunner: a command that hangs', () => {
  it('is killed at 5 s with the child holding its output, and the reading is a timeout problem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'floatd-dv-'));
    try {
      const script = join(dir, 'version');
      // A child holds the script's stdout: killing the script alone would leave the reading waiting for it.
      writeFileSync(script, `#!/bin/sh\nsleep 60 &\necho $! > ${join(dir, 'child')}\nwait\n`);
      chmodSync(script, 0o755);
      const seen = await new Promise<unknown>((resolve) => {
        const runner = new DataVersionRunner(script, pino({ level: 'silent' }), (e) => {
          runner.stop();
          resolve(e);
        });
        runner.start();
      });
      expect(seen).toEqual({ type: 'data-version', problem: 'timed out after 5000 ms (killed)' });
      const child = Number(readFileSync(join(dir, 'child'), 'utf8'));
      // Gone, or a zombie waiting for whoever reaps it.
      const state = () => {
        try {
          const stat = readFileSync(`/proc/${child}/stat`, 'utf8');
          return stat.slice(stat.lastIndexOf(')') + 2)[0];
        } catch {
          return 'gone';
        }
      };
      await expect.poll(state, { timeout: 2000 }).toMatch(/^(gone|Z)$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 15_000);

  it('a failing command is a problem that names its exit code and first line of stderr', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'floatd-dv-'));
    try {
      const script = join(dir, 'version');
      writeFileSync(script, '#!/bin/sh\necho "no metadata here" >&2\nexit 2\n');
      chmodSync(script, 0o755);
      const seen = await new Promise<unknown>((resolve) => {
        const runner = new DataVersionRunner(script, pino({ level: 'silent' }), (e) => {
          runner.stop();
          resolve(e);
        });
        runner.start();
      });
      expect(seen).toEqual({ type: 'data-version', problem: 'failed: exit code 2: no metadata here' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
