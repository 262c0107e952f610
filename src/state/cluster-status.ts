// The cluster view as `floatd status` shows it: the members heard within their
// master-down interval, whom this node supports, and the quorum. Pure.
import { liveMembers } from '../election/membership.js';
import { leaseUntil, supportCount } from '../election/quorum.js';
import type { Settings, State } from '../election/machine.js';

export interface MemberStatus {
  address: string;
  role: string;
  epoch: number;
  advskew: number;
  eligible: boolean;
  witness: boolean;
  dataVersion: string | null; // decimal; null: unknown
  versionFailing: boolean;
  supports: string | null;
  lastSeenAgoMs: number;
}

export interface ClusterStatus {
  voters: number;
  quorum: number; // 0: off
  supports: string | null; // whom this node supports
  supportedBy: number; // voters supporting this node now, itself included
  leaseLeftMs: number | null; // a master's lease left (null: none, or no quorum)
  dataVersion: string | null;
  dataVersionProblem: string | null; // why --data-version gave no number at its last run
  members: MemberStatus[];
}

export function clusterStatus(cfg: Settings, state: State, now: number): ClusterStatus | undefined {
  const c = cfg.cluster;
  if (c === undefined) return undefined;
  const v = state.view;
  const lease = c.quorum > 0 && (state.role === 'master' || state.role === 'releasing') ? leaseUntil(cfg, state) : undefined;
  return {
    voters: c.voters,
    quorum: c.quorum,
    supports: v.support?.address ?? null,
    supportedBy: supportCount(cfg, state, now),
    leaseLeftMs: lease === undefined ? null : lease === Infinity ? null : Math.max(0, Math.round(lease - now)),
    dataVersion: v.dataVersion === undefined ? null : String(v.dataVersion),
    dataVersionProblem: v.versionFailing ?? null,
    members: liveMembers(v, now)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([address, m]) => ({
        address,
        role: m.role.toUpperCase(),
        epoch: m.epoch,
        advskew: m.advskew,
        eligible: m.eligible,
        witness: m.witness,
        dataVersion: m.dataVersion === undefined ? null : String(m.dataVersion),
        versionFailing: m.versionFailing,
        supports: m.supports ?? null,
        lastSeenAgoMs: Math.round(now - m.heardAt),
      })),
  };
}

// The lines `floatd status` prints under a vhid, indented two spaces.
export function describeCluster(s: ClusterStatus): string[] {
  const quorum = s.quorum > 0 ? `quorum ${s.quorum} of ${s.voters} voters` : `quorum off (${s.voters === 0 ? 'voters unknown' : `${s.voters} voters`})`;
  const lease = s.leaseLeftMs === null ? '' : `, lease ${s.leaseLeftMs} ms left`;
  const version = s.dataVersionProblem !== null ? `, data version unknown: ${s.dataVersionProblem} (less preferred)` : s.dataVersion !== null ? `, data version ${s.dataVersion}` : '';
  const head = `  cluster: ${quorum}, supports ${s.supports ?? 'nobody'}, supported by ${s.supportedBy}${lease}${version}`;
  const members = s.members.map((m) => {
    const what = m.witness ? 'WITNESS' : `${m.role}${m.eligible ? '' : ' (not eligible)'}`;
    const version = m.versionFailing ? ', data version failing' : m.dataVersion === null ? '' : m.witness ? `, last master's data version ${m.dataVersion}` : `, data version ${m.dataVersion}`;
    return `    ${m.address} ${what}, epoch ${m.epoch}, advskew ${m.advskew}${version}, supports ${m.supports ?? 'nobody'}, last seen ${m.lastSeenAgoMs} ms ago`;
  });
  return [head, ...(members.length === 0 ? ['    no member heard'] : members)];
}
