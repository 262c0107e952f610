// Per-interface default paths: a run record at the default of earlier versions is moved, and
// logged, never lost; a state file of another interface is not taken; the socket names of both are found.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fill, socketVhid, type PathFlag } from '../../src/config/paths.js';
import { migrateDefaultPaths, type Defaults } from '../../src/state/migrate.js';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'v6-migrate-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

function logger() {
  const lines: { level: number; msg: string; from?: string; to?: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, done) {
      lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]);
      done();
    },
  });
  return { log: pino(stream), lines };
}

// The option table's templates and the old ones, under `dir` instead of /run and /var/lib.
const NEW: Record<PathFlag, string> = { 'state-file': 'run/<interface>-vhid-<vhid>.json', 'control-socket': 'run/<interface>-<vhid>.sock', 'run-record': 'lib/<interface>-vhid-<vhid>.json' };
const OLD: Record<PathFlag, string> = { 'state-file': 'run/vhid-<vhid>.json', 'control-socket': 'run/<vhid>.sock', 'run-record': 'lib/vhid-<vhid>.json' };
const where = (): Defaults => ({ defaultPath: (flag, iface, vhid) => join(dir, fill(NEW[flag], iface, vhid)), legacyPath: (flag, vhid) => join(dir, fill(OLD[flag], '', vhid)) });
const cfg = () => ({ interface: 'eth0', vhid: 10, stateFile: join(dir, 'run/eth0-vhid-10.json'), runRecord: join(dir, 'lib/eth0-vhid-10.json'), controlSocket: join(dir, 'run/eth0-10.sock') });
const RECORD = '{"vhid":10,"role":"master","epoch":4}\n';

describe('migration of the default paths', () => {
  it('moves a run record from the old default to the new one and says so', async () => {
    await mkdir(join(dir, 'lib'));
    await writeFile(join(dir, 'lib/vhid-10.json'), RECORD);
    const { log, lines } = logger();
    await migrateDefaultPaths(cfg(), log, where());
    expect(await readFile(join(dir, 'lib/eth0-vhid-10.json'), 'utf8')).toBe(RECORD);
    expect(existsSync(join(dir, 'lib/vhid-10.json'))).toBe(false);
    expect(lines.find((l) => l.msg.startsWith('--run-record: moved'))).toMatchObject({ level: 30, from: join(dir, 'lib/vhid-10.json'), to: join(dir, 'lib/eth0-vhid-10.json') });
  });

  it('keeps both, and warns, when the new one exists already', async () => {
    await mkdir(join(dir, 'lib'));
    await writeFile(join(dir, 'lib/vhid-10.json'), RECORD);
    await writeFile(join(dir, 'lib/eth0-vhid-10.json'), '{"vhid":10,"role":"backup"}\n');
    const { log, lines } = logger();
    await migrateDefaultPaths(cfg(), log, where());
    expect(await readFile(join(dir, 'lib/vhid-10.json'), 'utf8')).toBe(RECORD);
    expect(lines.some((l) => l.level === 40 && /both .* exist: using .*eth0-vhid-10\.json/.test(l.msg))).toBe(true);
  });

  it('leaves paths given by flag alone', async () => {
    await mkdir(join(dir, 'lib'));
    await writeFile(join(dir, 'lib/vhid-10.json'), RECORD);
    await migrateDefaultPaths({ ...cfg(), runRecord: join(dir, 'mine.json') }, logger().log, where());
    expect(existsSync(join(dir, 'lib/vhid-10.json'))).toBe(true);
    expect(existsSync(join(dir, 'mine.json'))).toBe(false);
  });

  it("moves the old state file only when it is this interface's", async () => {
    await mkdir(join(dir, 'run'));
    await writeFile(join(dir, 'run/vhid-10.json'), JSON.stringify({ vhid: 10, vip: '10.0.0.99', interface: 'eth1', pid: 1, state: 'BACKUP', seqFloor: '1', epoch: 0, maxEpochSeen: 0, hooksInProgress: [] }));
    await migrateDefaultPaths(cfg(), logger().log, where());
    expect(existsSync(join(dir, 'run/vhid-10.json'))).toBe(true);
    expect(existsSync(join(dir, 'run/eth0-vhid-10.json'))).toBe(false);
    await writeFile(join(dir, 'run/vhid-10.json'), JSON.stringify({ vhid: 10, interface: 'eth0', state: 'BACKUP', seqFloor: '5' }));
    await migrateDefaultPaths(cfg(), logger().log, where());
    expect(JSON.parse(await readFile(join(dir, 'run/eth0-vhid-10.json'), 'utf8'))).toMatchObject({ interface: 'eth0', seqFloor: '5' });
  });
});

describe('default control socket names', () => {
  it.each([
    ['eth0-10.sock', 10],
    ['10.sock', 10],
    ['bond0.7-255.sock', 255],
    ['eth0-0.sock', undefined],
    ['eth0-10.json', undefined],
    ['x-y-10.sock', 10],
  ])('%s is vhid %s', (name, vhid) => expect(socketVhid(name)).toBe(vhid));
});
