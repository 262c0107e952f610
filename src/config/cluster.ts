// The cluster flags: --nodes and --quorum, and what they mean with the --peer list. Pure: every
// error names the flag and quotes the value, and goes with the rest of validate()'s problems.
import type { Reader } from './reader.js';

export interface ClusterConfig {
  mode: string; // --quorum as given: auto, off or a number
  voters: number; // expected voters, this node included; 0: unknown (multicast without --nodes)
  quorum: number; // supports a master needs; 0: quorum off
  quorumWhy: string; // for the start-up line: why this node is or is not partition-safe
  presenceMode: 'auto' | 'on' | 'off'; // --presence as given
  presence: boolean; // backups send presence (wire version 2); off: silent backups and version 1, as ucarp
}

// --nodes counts every voter (this node, the other candidates, a witness); --peer lists the others.
export function clusterConfig(v: Reader, raw: { nodes?: unknown; quorum?: unknown; 'data-version'?: unknown }, peers: number, deadratio: number, problems: string[]): ClusterConfig {
  const presenceMode = v.oneOf('presence', ['auto', 'on', 'off'] as const);
  const nodesGiven = typeof raw.nodes === 'string';
  const nodes = nodesGiven ? v.int('nodes', 1, 255) : 0;
  if (nodesGiven && peers > 0 && nodes !== peers + 1) problems.push(`--nodes must count this node and every --peer (${peers + 1}), got "${String(raw.nodes)}"`);
  const voters = peers > 0 ? peers + 1 : nodes;
  const text = typeof raw.quorum === 'string' ? raw.quorum : 'auto';
  const quorum = quorumOf(text, voters, problems);
  if (quorum > 0 && deadratio < 3) problems.push(`--deadratio must be at least 3 with a quorum (a master's lease must outlast an advert interval), got "${deadratio}"`);
  if (quorum > 0 && presenceMode === 'off') problems.push(`--presence must be on with a quorum (the votes ride in it), got "off"`);
  // auto: only a cluster that uses the view (a quorum, data versions) pays for it; without one the wire and the election are ucarp's.
  const dataVersion = typeof raw['data-version'] === 'string';
  if (dataVersion && presenceMode === 'off') problems.push('--presence must be on with --data-version (the versions ride in it), got "off"');
  const presence = presenceMode === 'on' || (presenceMode === 'auto' && (quorum > 0 || dataVersion));
  return { mode: text, voters, quorum, quorumWhy: why(text, voters, quorum), presenceMode, presence };
}

// auto: a majority when the voters are known and at least 3 (2 + a witness counts); off; or a number.
function quorumOf(text: string, voters: number, problems: string[]): number {
  if (text === 'off') return 0;
  if (text === 'auto') return voters >= 3 ? Math.floor(voters / 2) + 1 : 0;
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < 1) {
    problems.push(`--quorum must be auto, off or a number of voters, got "${text}"`);
  } else if (voters === 0) {
    problems.push(`--quorum needs the voters: list them with --peer or count them with --nodes, got "${text}" alone`);
  } else if (n > voters) {
    problems.push(`--quorum must not exceed the ${voters} voters, got "${text}"`);
  } else if (n <= voters / 2) {
    // Two disjoint groups could each reach it: two masters.
    problems.push(`--quorum must be a majority of the ${voters} voters (more than ${voters / 2}), got "${text}"`);
  } else {
    return n;
  }
  return 0;
}

function why(text: string, voters: number, quorum: number): string {
  if (quorum > 0) return `partition-safe: a master needs the support of ${quorum} of ${voters} voters (itself included)`;
  if (text === 'off') return 'NOT partition-safe: --quorum off (each side of a partition promotes its own master)';
  if (voters === 0) return 'NOT partition-safe: the voters are unknown (multicast without --nodes): quorum off, each side of a partition promotes its own master';
  return `NOT partition-safe: ${voters} voter${voters === 1 ? '' : 's'} and no witness: quorum off, so a surviving node can still take over alone, and each side of a partition promotes its own master (add a floatd witness as a --peer for partition safety)`;
}
