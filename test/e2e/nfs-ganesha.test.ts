// NFS-Ganesha failing over under floatd with hooks/nfs: two candidates share one mmp-guarded ext4 LUN, a client
// host reads and writes through the VIP with libnfs-utils (NFSv4.0) and reads with a long-lived NFSv4.1 client
// that reclaims. Checksums before and after a host death, a graceful handover and a Ganesha crash on a live master
// (its health check); the client records on the LUN are only the clients that are there; an agent-only death does
// not give a second mount.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { waitUntil, type AddressMonitor, type AgentProcess } from '../support/netns.js';
import { agentReport, becomes, isServing, refused, stopAgents, vipAddedOn } from './mfs-floatd.js';
import { configureGanesha, ganeshaLog, NFS_PACK, nfsEnv, nfsLines, readFiles, Reader, records, seedLun, startNfsFloatd, writeFiles } from './nfs-ganesha-lab.js';
import { createServiceLab, missing, VIP, type ServiceHost, type ServiceLab } from './service-lab.js';
import { watchServiceAddresses } from './service-watch.js';

const unavailable = missing(['ganesha.nfsd', 'nfs-cat', 'nfs-cp', 'mkfs.ext4', 'xfs_io']);
const FILES = ['a.bin', 'b.bin', 'c.bin', 'd.bin'];

describe.skipIf(unavailable !== undefined)(`NFS-Ganesha failover with hooks/nfs${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let lab: ServiceLab;
  let s1: ServiceHost;
  let s2: ServiceHost;
  let a1: AgentProcess | undefined;
  let a2: AgentProcess | undefined;
  let addresses: AddressMonitor;
  let reader: Reader;
  let sums: Map<string, string>;
  // Ganesha's record of the reader: "ADDRESS-(LENGTH:OWNER)".
  const owner = () => `floatd-e2e-${lab.prefix}`;
  const readerRecord = () => `::ffff:${lab.host('cl').ip}-(${owner().length}:${owner()})`;

  beforeAll(async () => {
    lab = createServiceLab('nf');
    s1 = lab.host('s1');
    s2 = lab.host('s2');
    configureGanesha(lab);
    addresses = await watchServiceAddresses(lab);
    const r = await seedLun(lab, s1);
    expect(r.code, r.out).toBe(0);
  }, 60_000);
  beforeEach((ctx) => ctx.onTestFailed(() => console.error(agentReport([a1, a2]))));
  afterAll(async () => {
    await stopAgents([a1, a2]);
    expect(lab?.teardown() ?? []).toEqual([]);
  });

  it('the first master mounts the LUN, starts Ganesha on it and serves on the VIP; the client writes and reads a data set', async () => {
    a1 = startNfsFloatd(lab, s1, 0);
    await a1.waitFor('s1 serving', isServing, { timeoutMs: 30_000 });
    const steps = nfsLines(a1).join('\n');
    expect(steps).toMatch(/mount \/dev\/loop\d+ at .*: ok/);
    expect(steps).toMatch(/client records: none — grace ends at once/);
    a2 = startNfsFloatd(lab, s2, 50);
    await a2.waitFor('s2 BACKUP', becomes('BACKUP'), { timeoutMs: 30_000 });
    await waitUntil('s2 follows s1', () => lab.followed(s2) === s1.ip, { timeoutMs: 10_000 });
    sums = await writeFiles(lab, FILES);
    expect(await readFiles(lab, FILES)).toEqual(sums);
    reader = new Reader(lab, FILES[0] ?? '', 100, owner());
    await waitUntil('the NFSv4.1 reader reads', () => reader.lines.some((l) => l.ok && l.sha === sums.get(FILES[0] ?? '')), { timeoutMs: 20_000 });
  }, 120_000);

  it('a host death: s2 mounts the LUN (mmp lets it once the dead host is quiet), Ganesha takes the client records over, the NFSv4.1 client reclaims and grace ends early; every file is intact', async () => {
    // The data once more just before the fault (one libnfs client per file); then only clients that are still there
    // have records: the libnfs clients expire (lease + a reaper tick) and the crash follows their rmdir at once.
    expect(await readFiles(lab, FILES)).toEqual(sums);
    await waitUntil('only the live reader has a client record', async () => (await records(lab, s1)).join() === readerRecord(), { timeoutMs: 30_000, everyMs: 500 });
    const since = a2!.mark();
    const fault = Date.now();
    const t = performance.now();
    lab.kill(s1);
    await lab.powerOff(s1);
    await a2!.waitFor('s2 serving', isServing, { since, timeoutMs: 60_000 });
    const steps = nfsLines(a2!, since).join('\n');
    expect(steps).toMatch(/client records: 1 \(.*floatd-e2e-.*\) — grace ends when all 1 have reclaimed/);
    expect(vipAddedOn(addresses, t)).toEqual(['s2']);
    await waitUntil('the reader reads again', () => reader.pauseAfter(fault) !== undefined, { timeoutMs: 30_000 }).catch((e: unknown) => { throw new Error(`${String(e)}; reader since the fault: ${reader.errorsAfter(fault).join(', ')}; ganesha: ${readFileSync(ganeshaLog(lab.host('s2')), 'utf8').split('\n').filter((l) => /grace|GRACE/.test(l)).slice(-6).join(' | ')}`); });
    const log = readFileSync(ganeshaLog(s2), 'utf8');
    expect(log).toMatch(/reclaim complete\(1\) clid count\(1\)/);
    console.log(`crash: VIP on s2 +${Math.round((addresses.events.find((e) => e.host === 's2' && e.op === 'add' && e.at >= t)?.at ?? NaN) - t)} ms, client pause ${reader.pauseAfter(fault) ?? NaN} ms, errors meanwhile: ${reader.errorsAfter(fault).join(', ')}`);
    expect(await readFiles(lab, FILES)).toEqual(sums);
    const more = await writeFiles(lab, ['after-crash.bin']);
    expect(await readFiles(lab, ['after-crash.bin'])).toEqual(more);
  }, 120_000);

  it('a graceful handover back (-z): s2 stops Ganesha and unmounts before it resigns, s1 mounts at once and serves; the client reclaims, nothing is lost', async () => {
    lab.reboot(s1);
    a1 = startNfsFloatd(lab, s1, 0);
    await a1.waitFor('s1 BACKUP', becomes('BACKUP'), { timeoutMs: 30_000 });
    await waitUntil('only the live reader has a client record', async () => (await records(lab, s2)).join() === readerRecord(), { timeoutMs: 30_000, everyMs: 500 });
    const since = a1.mark();
    const fault = Date.now();
    a2!.kill('SIGTERM');
    expect((await a2!.exited).code).toBe(0);
    await a1.waitFor('s1 serving', isServing, { since, timeoutMs: 60_000 });
    expect(nfsLines(a2!).join('\n')).toMatch(/stop ganesha.nfsd \(pid \d+\): ok[\s\S]*unmount .*: ok/);
    expect(nfsLines(a1, since).join('\n')).toMatch(/probes skipped: FLOATD_CLAIM=resigned/);
    await waitUntil('the reader reads again', () => reader.pauseAfter(fault) !== undefined, { timeoutMs: 30_000 }).catch((e: unknown) => { throw new Error(`${String(e)}; reader since the fault: ${reader.errorsAfter(fault).join(', ')}; ganesha: ${readFileSync(ganeshaLog(lab.host('s2')), 'utf8').split('\n').filter((l) => /grace|GRACE/.test(l)).slice(-6).join(' | ')}`); });
    console.log(`graceful: client pause ${reader.pauseAfter(fault) ?? NaN} ms, errors meanwhile: ${reader.errorsAfter(fault).join(', ')}`);
    expect((await lab.exec(s2, ['findmnt', '-rn', '-S', s2.loop ?? ''])).stdout).toBe('');
    expect(await readFiles(lab, [...FILES, 'after-crash.bin'])).toEqual(new Map([...sums, ...(await readFiles(lab, ['after-crash.bin']))]));
  }, 120_000);

  it('Ganesha dies on the live master: its check fails, s1 hands over in order (unmounts, resigns) and s2 serves; the client reclaims', async () => {
    a2 = startNfsFloatd(lab, s2, 50);
    await a2.waitFor('s2 BACKUP', becomes('BACKUP'), { timeoutMs: 30_000 });
    await waitUntil('s2 follows s1', () => lab.followed(s2) === s1.ip, { timeoutMs: 10_000 });
    await waitUntil('only the live reader has a client record', async () => (await records(lab, s1)).join() === readerRecord(), { timeoutMs: 30_000, everyMs: 500 });
    const since = a2.mark();
    const fault = Date.now();
    for (const pid of lab.processes(s1, 'ganesha.nfsd')) process.kill(pid, 'SIGKILL');
    await a2.waitFor('s2 serving', isServing, { since, timeoutMs: 60_000 });
    expect(a1!.lines.some((l) => /health check ".*hooks\/nfs\/check" failed 2 times in a row/.test(l.msg))).toBe(true);
    expect(nfsLines(a1!).join('\n')).toMatch(/unmount .*: ok/);
    expect(nfsLines(a2, since).join('\n')).toMatch(/probes skipped: FLOATD_CLAIM=resigned[\s\S]*client records: 1 /);
    await waitUntil('the reader reads again', () => reader.pauseAfter(fault) !== undefined, { timeoutMs: 30_000 });
    console.log(`ganesha killed: client pause ${reader.pauseAfter(fault) ?? NaN} ms, errors meanwhile: ${reader.errorsAfter(fault).join(', ')}`);
    expect(await readFiles(lab, FILES)).toEqual(sums);
  }, 90_000);

  it('when only floatd dies on the master (s2 now), the standby refuses to take over while the VIP and the server answer, and never mounts the LUN', async () => {
    await waitUntil('s1 follows s2 (after its cooldown)', () => lab.followed(s1) === s2.ip, { timeoutMs: 20_000 });
    const since = a1!.mark();
    const t = performance.now();
    a2!.kill('SIGKILL');
    await a2!.exited;
    await a1!.waitFor('a first refusal', refused, { since, timeoutMs: 20_000 });
    await a1!.waitFor('a second refusal', (l) => refused(l) && l !== a1!.lines.slice(since).find(refused), { since, timeoutMs: 20_000 });
    expect(nfsLines(a1!, since).join('\n')).toMatch(/still answers ARP for the VIP|still accepts connections at the last master's address/);
    expect((await lab.exec(s1, ['findmnt', '-rn', '-S', s1.loop ?? ''])).stdout).toBe('');
    expect(vipAddedOn(addresses, t)).toEqual([]);
    await waitUntil('the client still reads from s2', () => reader.lines.some((l) => l.at > Date.now() - 1000 && l.ok), { timeoutMs: 5000 });
    // Had the probes missed it (a lost ARP answer, a firewall), the disk refuses: ext4 mmp sees s2's mount alive.
    const t0 = performance.now();
    const m = await lab.exec(s1, [join(NFS_PACK, 'prepare.d/10-mount-shared'), s1.iface, VIP], { env: { FLOATD_NFS_CONFIG: nfsEnv(s1) }, timeoutMs: 60_000 });
    expect(m.code, m.out).not.toBe(0);
    expect(m.out).toMatch(/FAILED: mount \/dev\/loop\d+ at .* exited/);
    expect((await lab.exec(s1, ['findmnt', '-rn', '-S', s1.loop ?? ''])).stdout).toBe('');
    console.log(`mmp refused s1's mount after ${Math.round(performance.now() - t0)} ms`);
  }, 60_000);
});
