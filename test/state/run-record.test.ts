// The run record: what the next run (after a reboot that wiped /run) tells its hooks about this one.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunRecord } from '../../src/state/run-record.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'floatd-record-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

function logger() {
  const lines: { level: number; msg: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, done) {
      lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
      done();
    },
  });
  return { log: pino(stream), lines };
}

describe('RunRecord', () => {
  it('a first run has no previous run and tells hooks so', async () => {
    const r = await RunRecord.load(join(dir, 'none.json'), 7, logger().log);
    expect(r.previous).toBeUndefined();
    expect(r.facts(0)).toEqual({ lastMaster: null, lastMasterEpoch: null, maxEpoch: 0, previousRun: 'none', previousRunEpoch: null, newerEpochSeen: false });
  });

  it('a run that dies while master is "master" to the next one, which learns when a newer epoch is heard', async () => {
    const path = join(dir, 'crash.json');
    const first = await RunRecord.load(path, 7, logger().log);
    first.observe({ role: 'backup' }, { role: 'backup', epoch: 0, master: { address: '10.0.0.2', epoch: 4 } }, 4, '10.0.0.1');
    first.observe({ role: 'backup' }, { role: 'master', epoch: 5 }, undefined, '10.0.0.1');
    await first.flush();
    // SIGKILL here: nothing else is written.
    const second = await RunRecord.load(path, 7, logger().log);
    expect(second.previous).toEqual({ role: 'master', epoch: 5 });
    expect(second.highestEpoch).toBe(5);
    expect(second.facts(5)).toMatchObject({ previousRun: 'master', previousRunEpoch: 5, newerEpochSeen: false, lastMaster: '10.0.0.2', lastMasterEpoch: 4 });
    second.observe({ role: 'backup' }, { role: 'backup', epoch: 5, master: { address: '10.0.0.2', epoch: 6 } }, 6, '10.0.0.1');
    expect(second.facts(6)).toMatchObject({ previousRun: 'master', newerEpochSeen: true, lastMaster: '10.0.0.2', lastMasterEpoch: 6 });
    await second.flush();
    const doc = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    expect(doc).toMatchObject({ vhid: 7, role: 'master', epoch: 5, maxEpochHeard: 6, lastMaster: '10.0.0.2', lastMasterEpoch: 6 });
  });

  it('a mastership whose release completed is "backup" to the next run; its own promotion is not a newer epoch heard', async () => {
    const path = join(dir, 'clean.json');
    const r = await RunRecord.load(path, 7, logger().log);
    r.observe({ role: 'backup' }, { role: 'master', epoch: 3 }, undefined, '10.0.0.1');
    r.holds(false, 3);
    await r.flush();
    const next = await RunRecord.load(path, 7, logger().log);
    expect(next.previous).toEqual({ role: 'backup', epoch: 3 });
    expect(next.facts(3)).toMatchObject({ previousRun: 'backup', previousRunEpoch: null, newerEpochSeen: false });
  });

  it('an operator standby is kept for the next run until the bar is lifted', async () => {
    const path = join(dir, 'standby.json');
    const first = await RunRecord.load(path, 7, logger().log);
    first.observe({ role: 'backup', bars: {} }, { role: 'backup', epoch: 0, bars: { standby: 'operator standby (floatd standby)' } }, undefined, '10.0.0.1');
    await first.flush();
    const second = await RunRecord.load(path, 7, logger().log);
    expect(second.standby).toBe('operator standby (floatd standby)');
    second.observe({ role: 'backup', bars: { standby: 'operator standby (floatd standby)' } }, { role: 'backup', epoch: 0, bars: {} }, undefined, '10.0.0.1');
    await second.flush();
    expect((await RunRecord.load(path, 7, logger().log)).standby).toBeNull();
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ standby: null });
  });

  it('a corrupt record is a first run with a warning; an unwritable one is a warning, once, and never throws', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{ not json');
    const l1 = logger();
    expect((await RunRecord.load(bad, 7, l1.log)).previous).toBeUndefined();
    expect(l1.lines.map((l) => l.msg)).toEqual(['cannot read the run record: treating this as a first run']);
    const l2 = logger();
    await writeFile(join(dir, 'a-file'), '');
    const r = await RunRecord.load(join(dir, 'a-file', 'record.json'), 7, l2.log);
    r.holds(true, 1);
    r.heard(2);
    await r.flush();
    expect(l2.lines.filter((l) => l.msg.startsWith('cannot write')).map((l) => [l.level, l.msg])).toEqual([[40, 'cannot write the run record: after a restart, hooks will not know how this run ended']]);
  });
});
