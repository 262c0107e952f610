// `floatd witness --help` shows only the flags a witness uses; those it refuses (src/config/witness.ts) and
// those it takes without use are parsed all the same, so a refused one is named, not "unknown option".
// Run `npm run build` first.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPTIONS, flagsOf, type OptionSpec } from '../../src/config/options.js';
import { NOT_FOR_A_WITNESS, UNUSED_BY_A_WITNESS } from '../../src/config/witness.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const TABLE = OPTIONS as readonly OptionSpec[];
let dir = '';
let witness: string[] = [];

const floatd = (args: string[]) => execa('node', [CLI, ...args], { reject: false, timeout: 10_000, env: { FLOATD_PASS: '', FLOATD_PASSFILE: '' } });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'floatd-witness-help-'));
  await writeFile(join(dir, 'key'), 'witness secret\n', { mode: 0o600 });
  witness = ['witness', '-i', 'lo', '-s', '127.0.0.3', '-v', '10', '-o', join(dir, 'key'), '--peer', '127.0.0.1', '--peer', '127.0.0.2', '--state-file', join(dir, 'state.json'), '--run-record', join(dir, 'record.json'), '--control-socket', join(dir, 'ctl.sock')];
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('floatd witness --help', () => {
  it('lists only the flags a witness uses, and names the ones it refuses or ignores after them', async () => {
    const r = await floatd(['witness', '--help']);
    expect(r.exitCode).toBe(0);
    const [flags = '', after = ''] = r.stdout.split(/^Refused /m);
    const left = new Set<string>([...NOT_FOR_A_WITNESS, ...UNUSED_BY_A_WITNESS]);
    for (const o of TABLE) {
      if (left.has(o.long)) expect(flags, `--${o.long}`).not.toContain(`--${o.long} `);
      else expect(flags, `--${o.long}`).toContain(flagsOf(o));
    }
    for (const long of left) expect(after.replace(/\s+/g, ' ')).toMatch(new RegExp(`(^|[ /])--${long}(,| |$)`));
    for (const line of r.stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
  });

  it('a hidden flag given to a witness is refused by name, and an unused one is still checked', async () => {
    const refused = await floatd([...witness, '--fence', '/bin/true']);
    expect([refused.exitCode, refused.stderr]).toEqual([1, 'floatd: floatd witness holds no VIP and runs no hooks: --fence is not for it, got "/bin/true"']);
    const unused = await floatd([...witness, '--hook-timeout', 'soon']);
    expect(unused.exitCode).toBe(1);
    expect(unused.stderr).toMatch(/^floatd: --hook-timeout .*"soon"/);
  });
});
