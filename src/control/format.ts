// `floatd status` text for an agent that answered on its control socket: the state-file line, then
// what only the running agent knows (peers, checks, gate, last hooks), one block per vhid. Pure.
import { describe } from '../state/status.js';
import { describeCluster } from '../state/cluster-status.js';
import type { CheckStatus, ControlStatus, HookRecord, PeerStatus } from './protocol.js';

// The block for one vhid; lines after the first are indented two spaces.
export function describeControl(s: ControlStatus): string {
  const lines = [describe(s)];
  if (s.cluster) lines.push(...describeCluster(s.cluster));
  lines.push(s.peers.length === 0 ? '  peers: none heard' : '  peers:', ...s.peers.map((p) => `    ${peerLine(p)}`));
  if (s.checks.length > 0) lines.push('  checks:', ...s.checks.map((c) => `    ${checkLine(c)}`));
  const g = s.gate;
  lines.push(g ? `  takeover gate: ${g.ok ? 'passed' : `refused: ${g.detail}`} at ${g.at}` : '  takeover gate: not asked yet');
  lines.push(s.hooks.length === 0 ? '  last hooks: none run yet' : '  last hooks:', ...s.hooks.map((h) => `    ${hookLine(h)}`));
  return lines.join('\n');
}

// "127.0.0.2 advert every 0.4 s (advbase 0.2 s, advskew 50), epoch 3, last seen 0.1 s ago, 52 adverts"; a
// resign is sent once, when a master steps down, so it is what was last heard, not a rhythm.
function peerLine(p: PeerStatus): string {
  const behind = p.behind > 0 ? `, ${p.behind} behind` : '';
  const heard = p.type === 'resign' ? 'last heard: resign' : `advert every ${seconds(p.intervalMs)}`;
  return `${p.address} ${heard} (advbase ${seconds(p.advbaseMs)}, advskew ${p.advskew}), epoch ${p.epoch}, last seen ${seconds(p.lastSeenAgoMs)} ago, ${p.count} advert${p.count === 1 ? '' : 's'}${behind}`;
}

// "failing weight 20, on all: `curl -fsS localhost` (3 in a row, last: exit 7 in 12 ms at …)".
function checkLine(c: CheckStatus): string {
  const mode = c.mode === 'weight' ? `weight ${c.weight}` : 'fault';
  const last = c.lastRunAt === null ? 'not run yet' : `last: ${c.lastResult ?? '?'}${c.lastDurationMs === null ? '' : ` in ${c.lastDurationMs} ms`} at ${c.lastRunAt}`;
  return `${c.status} ${mode}, on ${c.on}: \`${c.command}\` (${c.streak} in a row, ${last})`;
}

// "up /etc/floatd/hooks/up.d/10-start exit 0 in 12 ms at …".
function hookLine(h: HookRecord): string {
  const how = h.timedOut ? 'timed out' : h.cancelled ? 'cancelled' : h.signal !== null ? `killed by ${h.signal}` : `exit ${h.exitCode ?? '?'}`;
  return `${h.phase} ${h.path} ${how} in ${h.durationMs} ms at ${h.endedAt}${h.ok ? '' : ' FAILED'}`;
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(ms < 10_000 ? 3 : 1))} s`;
}
