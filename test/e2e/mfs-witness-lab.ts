// The three-host MooseFS layout (docs/mfs.md "Three hosts"): two master candidates with --nodes 3 and
// the pack's metadata-version as --data-version, and a `floatd witness` on the chunkserver host. Cuts between
// lab hosts are made with tc at their bridge ports (test/support/tc-cut.ts): links stay up, packets vanish.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { ClusterStatus } from '../../src/state/cluster-status.js';
import { AgentProcess, CLI_PATH, type AgentLine, type LabHost } from '../support/netns.js';
import { deafenPort, healPort } from '../support/tc-cut.js';
import { labSecret, VHID, type FloatdSpec } from './mfs-floatd.js';
import { PACK, type MfsHost, type MfsLab } from './mfs-lab.js';

// -b 0.5 and the default -r 3: ordinary timers (docs/mfs.md "Three hosts"). A cut-off master drops the VIP
// when its lease ends, before any voter may support the standby (the guard G = (r - 2) x b / 2 covers the
// VIP, docs/election.md "The timing rule"); its mfsmaster may stop after the standby serves, unreachable
// without the address. The witness and both candidates use the same -b and -r.
export const ADVBASE = 0.5;
export const DEADRATIO = 3;
const CLUSTER = ['-r', String(DEADRATIO), '--nodes', '3'];

// A master candidate: the pack, the quorum of 3 and the pack's metadata-version as --data-version.
export function candidate(advskew: number): FloatdSpec {
  return { advbase: ADVBASE, advskew, extra: [...CLUSTER, '--data-version', join(PACK, 'metadata-version')] };
}

// `floatd witness` on host H (the chunkserver host): the agent's flags without -a, hooks or -z.
export function startWitness(lab: MfsLab, h: MfsHost, advskew: number): AgentProcess {
  const args = [
    'witness', '-i', h.iface, '-s', h.ip, '-v', String(VHID), '-o', labSecret(lab), '-b', String(ADVBASE), '-k', String(advskew), ...CLUSTER,
    '--state-file', join(h.dir, 'witness-state.json'), '--run-record', join(h.dir, 'witness-record.json'), '--control-socket', join(h.dir, 'witness.sock'), '--log-format', 'json',
  ];
  const child = spawn('nsenter', [`--net=/run/netns/${h.ns}`, `--mount=${h.mntns}`, '--', process.execPath, CLI_PATH, ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const host: LabHost = { name: h.name, ns: h.ns, iface: h.iface, ip: h.ip, mac: '' };
  return new AgentProcess(host, child);
}

// Cuts the lab into GROUPS: no host hears a host of another group (both ways).
export async function split(groups: readonly (readonly MfsHost[])[]): Promise<void> {
  for (const g of groups) {
    const others = groups.filter((x) => x !== g).flat().map((h) => h.ip);
    for (const h of g) await deafenPort(h.port, others);
  }
}

// Every lab host hears every other again.
export async function healAll(lab: MfsLab): Promise<void> {
  for (const h of lab.hosts) await healPort(h.port);
}

// The transitions an agent logged from line SINCE on.
export function transitions(a: AgentProcess, since = 0): AgentLine[] {
  return a.lines.slice(since).filter((l) => l.event === 'transition');
}

// A master that lost its quorum dropped the VIP at once (before its down hooks).
export const vipDroppedAtOnce = (l: AgentLine): boolean => l.event === 'vip' && l.op === 'remove' && l.immediate === true;

// The cluster view of the agent behind control socket SOCK (`floatd status` over the socket).
export function clusterView(sock: string): Promise<ClusterStatus | undefined> {
  return new Promise((resolve, reject) => {
    const c = connect(sock);
    let text = '';
    c.setTimeout(5000, () => c.destroy(new Error(`no status from ${sock} within 5 s`)));
    c.on('connect', () => c.write('{"cmd":"status"}\n'));
    c.on('data', (d: Buffer) => {
      text += d.toString();
      const nl = text.indexOf('\n');
      if (nl < 0) return;
      c.end();
      const answer = JSON.parse(text.slice(0, nl)) as { cluster?: ClusterStatus; status?: { cluster?: ClusterStatus } };
      resolve(answer.cluster ?? answer.status?.cluster);
    });
    c.on('error', reject);
  });
}
