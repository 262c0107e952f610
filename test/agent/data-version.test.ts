// --data-version's output: a number from 0 to 2^64−1, or a problem that names what was printed; a fresh
// reading drops the one under way.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
