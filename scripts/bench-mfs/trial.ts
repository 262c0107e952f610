// One bench trial: a fresh MooseFS lab with floatd on m1 and m2, a client probing through the VIP;
// m1's host dies (link cut, then SIGKILL; shared: the LUN shut down unflushed) and m2 takes over; then m1 comes
// back, and a SIGTERM with -z on m2 hands mastership back (the graceful switchover). Times are wall-clock ms.
import { appendFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { AgentProcess, AgentLine } from '../../test/support/netns.js';
import { waitCaughtUp } from '../../test/e2e/mfs-data.js';
import { becomes, isServing, labFence, startFloatd, stopAgents } from '../../test/e2e/mfs-floatd.js';
import { createMfsLab, PACK, VIP, type MfsLab } from '../../test/e2e/mfs-lab.js';
import { ClientProbe, writeReadFiles } from './probe.js';

export interface TrialSpec {
  label: string;
  strategy: 'metalogger' | 'shared';
  advbase: number;
  mountOptions?: string[];
  vipFirst?: boolean; // start mfsmaster after the VIP (up.d), as the classic recipe does
  gate?: boolean; // the pack's client gate (MFS_CLIENT_GATE); default on, as the pack ships
  dataVersion?: boolean; // the cluster view (--data-version; shared: --presence on) and with it the prepared handover; default on
}

// What one failover measured, each from the fault (ms); undefined when it never happened.
export interface Figures {
  label: string;
  kind: 'crash' | 'graceful';
  checkStart?: number; // the takeover check began (master declared dead, or resign heard)
  vip?: number; // (a)
  serving?: number; // (b) the pack's readiness check passed
  meta?: number; // (c)
  read?: number; // (d)
  cs?: number; // mfscli -SCS through the VIP answered listing the chunkserver (it lists disconnected ones too)
  gateOpen?: number; // the pack's up.d/60-open-clients let clients in
  oldStop?: number; // graceful: how long the old master's down.d/10-stop-master took (mfsmaster writing its metadata)
  hooks: string[]; // "hook: N ms (ends at T)" per hook, and the pack's step lines
}

const READS = 400;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const at = (l: AgentLine | undefined, t0: number) => (l ? Number(l.time) - t0 : undefined);

// A hooks dir with the classic order: the VIP first, mfsmaster started by up.d (symlinks into the pack).
function vipFirstHooks(dir: string): string {
  const root = join(dir, 'vip-first');
  const link = (phase: string, name: string, target: string) => {
    mkdirSync(join(root, phase), { recursive: true });
    symlinkSync(join(PACK, target), join(root, phase, name));
  };
  for (const f of ['10-stop-metalogger', '20-mount-shared', '30-restore']) link('prepare.d', f, `prepare.d/${f}`);
  link('up.d', '10-start-master', 'prepare.d/40-start-master');
  link('up.d', '50-ready-vip', 'up.d/50-ready-vip');
  for (const f of ['00-validate', '10-stop-master', '20-umount-shared']) link('down.d', f, `down.d/${f}`);
  link('released.d', '30-rejoin-metalogger', 'released.d/30-rejoin-metalogger');
  return root;
}

// The figures of one takeover from the new master's log (from `since`) and the client probe.
async function figures(spec: TrialSpec, kind: Figures['kind'], a: AgentProcess, since: number, t0: number, probe: ClientProbe, old?: AgentProcess): Promise<Figures> {
  const lines = a.lines.slice(since);
  const vipAt = Number(lines.find((l) => l.event === 'vip' && l.op === 'add')?.time ?? t0);
  const deadline = Date.now() + 40_000;
  while (Date.now() < deadline && !(probe.firstAfter('meta', t0, vipAt) && probe.firstAfter('read', t0, vipAt))) await sleep(100);
  const hooks: string[] = [];
  for (const l of [...(old?.lines.filter((x) => Number(x.time) >= t0) ?? []), ...lines]) {
    if (l.msg === 'hook finished' || /^hook failed/.test(l.msg)) hooks.push(`${l === undefined ? '' : basename(String(l.hook))} ${String(l.durationMs)} ms (done at ${String(at(l, t0))} ms)`);
    else if (typeof l.hook === 'string' && l.msg.startsWith('mfs ')) hooks.push(`  ${l.msg}`);
  }
  // The first operation the new master answered: the first to end after its VIP appeared (a graceful stop keeps
  // answering while it writes its metadata, so "the first op after the SIGTERM" would be the old master's).
  const meta = probe.firstAfter('meta', t0, vipAt);
  const read = probe.firstAfter('read', t0, vipAt);
  const cs = probe.firstAfter('cs', t0, vipAt);
  const stop = old?.lines.find((l) => Number(l.time) >= t0 && l.msg === 'hook finished' && String(l.hook).endsWith('10-stop-master'));
  return {
    label: spec.label,
    kind,
    checkStart: at(lines.find((l) => l.msg === 'hook started' && String(l.hook).endsWith('takeover-check')), t0),
    vip: at(lines.find((l) => l.event === 'vip' && l.op === 'add'), t0),
    serving: at(lines.find((l) => /mfsmaster serving on/.test(l.msg)), t0),
    meta: meta ? meta.end - t0 : undefined,
    read: read ? read.end - t0 : undefined,
    cs: cs ? cs.end - t0 : undefined,
    gateOpen: at(lines.find((l) => /60-open-clients: open client gate/.test(l.msg)), t0),
    oldStop: stop ? Number(stop.durationMs) : undefined,
    hooks,
  };
}

// Runs the crash and the graceful switchover on a fresh lab; always tears it down.
export async function runTrial(spec: TrialSpec): Promise<Figures[]> {
  const lab: MfsLab = createMfsLab({ masters: 2, shared: spec.strategy === 'shared' });
  const agents: AgentProcess[] = [];
  let probe: ClientProbe | undefined;
  try {
    const [m1, m2] = [lab.host('m1'), lab.host('m2')];
    const hooksDir = spec.vipFirst ? vipFirstHooks(lab.dir) : undefined;
    // As docs/mfs.md runs the pack, with the cluster view so that a -z stop is a prepared handover (the standby
    // restores and starts while the old master holds the VIP): the metalogger strategy with --data-version (the
    // freshest standby); shared storage with --presence on and --fence (its metadata is on the LUN, which no
    // standby can read before it mounts it, so a data version would only hold it back; the pack refuses shared
    // without a guard of the LUN).
    const view = spec.dataVersion === false ? [] : spec.strategy === 'shared' ? ['--presence', 'on'] : ['--data-version', join(PACK, 'metadata-version')];
    const extra = [...(spec.strategy === 'shared' ? ['--fence', labFence(lab)] : []), ...view];
    const opts = (advskew: number) => ({ advbase: spec.advbase, advskew, extra, ...(hooksDir ? { hooksDir } : {}) });
    if (spec.gate === false) for (const h of [m1, m2]) appendFileSync(h.env, 'MFS_CLIENT_GATE=no\n');
    if (spec.strategy === 'shared') await lab.seedShared(m1);
    else lab.seed(m1);
    let a1 = startFloatd(lab, m1, opts(0));
    agents.push(a1);
    await a1.waitFor('m1 serving', isServing, { timeoutMs: 30_000 });
    await lab.startChunkserver();
    const a2 = startFloatd(lab, m2, opts(50));
    agents.push(a2);
    await a2.waitFor('m2 BACKUP', becomes('BACKUP'), { timeoutMs: 30_000 });
    const mount = await lab.mount(spec.mountOptions ?? []);
    if (mount.code !== 0) throw new Error(`mount failed: ${mount.out}`);
    await writeReadFiles(lab, READS);
    // The standby restores from its metalogger only in the metalogger strategy; shared storage restores from
    // the LUN (its metalogger reports no restorable copy until it has downloaded a metadata file).
    if (spec.strategy === 'metalogger') await waitCaughtUp(lab, m2, m1);
    probe = new ClientProbe(lab, READS, VIP);
    await sleep(1500);

    let since = a2.mark();
    let t0 = Date.now();
    lab.kill(m1);
    if (spec.strategy === 'shared') await lab.shell(m1, `xfs_io -x -c shutdown ${join(m1.dir, 'lun')}; umount -l ${join(m1.dir, 'lun')}`);
    await a2.waitFor('m2 serving', isServing, { since, timeoutMs: 60_000 });
    const crash = await figures(spec, 'crash', a2, since, t0, probe);

    lab.reboot(m1);
    a1 = startFloatd(lab, m1, opts(0));
    agents.push(a1);
    await a1.waitFor('m1 BACKUP', becomes('BACKUP'), { timeoutMs: 30_000 });
    await a1.waitFor('m1 metalogger', (l) => /start mfsmetalogger .*: ok|mfsmetalogger already running/.test(l.msg), { timeoutMs: 30_000 });
    if (spec.strategy === 'metalogger') await waitCaughtUp(lab, m1, m2);
    await sleep(1500);
    since = a1.mark();
    t0 = Date.now();
    a2.kill('SIGTERM');
    await a1.waitFor('m1 serving', isServing, { since, timeoutMs: 60_000 });
    const graceful = await figures(spec, 'graceful', a1, since, t0, probe, a2);
    return [crash, graceful];
  } finally {
    await probe?.stop().catch(() => undefined);
    await stopAgents(agents);
    lab.teardown();
  }
}
