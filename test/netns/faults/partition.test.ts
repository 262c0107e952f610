// Fault: a network partition and its heal, with two and with three nodes. One host is cut off at its
// bridge port (tc drops everything both ways; its own link stays up), so each side elects a master. On heal
// the higher epoch wins within about one advert interval and the loser runs its down hooks.
import { performance } from 'node:perf_hooks';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLab, sleep, type AgentProcess, type Lab, watchLab } from '../../support/netns.js';
import {
  advertIntervalMs, becomes, cut, heal, isServing, isStarting, joined, markers, masterDownMs, skipNote, startAgent, transitions, unavailable, type AgentSpec,
} from './fault-lab.js';

const VIP = '198.51.100.100';
const VHID = 35;
const spec = (advskew: number): AgentSpec => ({ vhid: VHID, vip: VIP, advbase: 0.2, advskew, up: ['mark'], down: ['mark'] });
const SPECS = [spec(0), spec(50), spec(100)] as const;
const SLOWEST = SPECS[2];
// Slack for scheduling on a loaded 2-core CI machine plus the down hook and `ip addr del`.
const MARGIN_MS = 1000;

interface Round {
  cutAt: number;
  healAt: number;
  loser: string;
}

// Builds a lab of `n` nodes with skews 0, 50, 100 (h1 started first, so it is the master) and runs
// partition rounds against it.
function partitionSuite(n: 2 | 3) {
  let lab: Lab;
  let agents: AgentProcess[] = [];
  const rounds: Round[] = [];

  beforeAll(async () => {
    lab = await createLab({ hosts: n });
    const first = startAgent(lab, lab.hosts[0]!, SPECS[0]);
    await first.waitFor('h1 listening', isStarting);
    agents = [first, ...lab.hosts.slice(1).map((h, i) => startAgent(lab, h, SPECS[i + 1]!))];
    await first.waitFor('h1 serving', isServing);
    await Promise.all(agents.slice(1).map((a) => joined(a)));
  });

  watchLab(() => lab);

  // Cuts `isolated` off until `promoted` is master on its side, then heals: `loser` must step down to `winner`.
  const round = async (isolated: AgentProcess, promoted: AgentProcess, winner: AgentProcess, loser: AgentProcess) => {
    const master = agents.find((a) => a.state === 'MASTER')!;
    const marks = agents.map((a) => a.mark());
    const cutAt = performance.now();
    await cut(lab, isolated.host);
    const promotion = await promoted.waitFor(`${promoted.host.name} MASTER`, becomes('MASTER'), { since: promoted.mark(), timeoutMs: 5000 });
    expect(promotion.reason?.startsWith(`master down: no advert from ${master.host.ip} for `), promotion.reason).toBe(true);
    await promoted.waitFor(`${promoted.host.name} serving`, isServing, { since: marks[agents.indexOf(promoted)] });
    // Both sides have a master, each with the VIP; nobody else moved.
    expect(agents.filter((a) => a.state === 'MASTER').map((a) => a.host.name).sort()).toEqual([master.host.name, promoted.host.name].sort());
    for (const a of agents) if (a !== promoted) expect(transitions(a, marks[agents.indexOf(a)])).toEqual([]);
    expect(await lab.vipHolders(VIP)).toEqual([master.host.name, promoted.host.name].sort());

    const loserMark = loser.mark();
    const winnerMark = winner.mark();
    const healAt = performance.now();
    await heal(lab, isolated.host);
    const stepped = await loser.waitFor(`${loser.host.name} steps down`, becomes('BACKUP'), { since: loserMark, timeoutMs: 5000 });
    expect(stepped.reason).toMatch(new RegExp(`^newer master ${winner.host.ip.replaceAll('.', '\\.')} \\(epoch \\d+ > \\d+\\)$`));
    expect(stepped.at - healAt, 'ms from heal to one master').toBeLessThan(advertIntervalMs(SLOWEST) + MARGIN_MS);
    await loser.waitFor(`${loser.host.name} VIP removed`, (l) => l.event === 'vip' && l.op === 'remove', { since: loserMark });
    expect(markers(lab, loser.host, VHID).at(-1)).toBe(`down BACKUP previous=MASTER epoch=${String(stepped.epoch)} ${stepped.reason}`);
    rounds.push({ cutAt, healAt, loser: loser.host.name });

    // Settled: one master, the VIP on it alone, and no further transitions anywhere.
    const settleMarks = agents.map((a) => a.mark());
    await sleep(3 * masterDownMs(SLOWEST));
    agents.forEach((a, i) => expect(transitions(a, settleMarks[i])).toEqual([]));
    expect(transitions(winner, winnerMark)).toEqual([]);
    expect(agents.filter((a) => a.state === 'MASTER').map((a) => a.host.name)).toEqual([winner.host.name]);
    expect(await lab.vipHolders(VIP)).toEqual([winner.host.name]);
  };

  // The VIP was on two hosts only from each cut until the loser dropped it after the heal.
  const overlapsOnlyInPartitions = () => {
    const overlaps = lab.addresses.overlaps(VIP);
    expect(overlaps).toHaveLength(rounds.length);
    overlaps.forEach((o, i) => {
      const r = rounds[i]!;
      const dropped = lab.addresses.events.find((e) => e.address === VIP && e.op === 'del' && e.host === r.loser && e.at > r.healAt);
      expect(o.hosts).toHaveLength(2);
      expect(o.from).toBeGreaterThan(r.cutAt);
      expect(o.to).toBe(dropped?.at);
    });
  };

  return { round, overlapsOnlyInPartitions, agents: () => agents };
}

describe.skipIf(unavailable !== undefined)(`fault: partition and heal, two nodes${skipNote}`, () => {
  const s = partitionSuite(2);

  it('cut off the master: the backup promotes; on heal the old master (older epoch) steps down', async () => {
    const [h1, h2] = s.agents() as [AgentProcess, AgentProcess];
    await s.round(h1, h2, h2, h1);
  });

  it('cut off the backup: it promotes alone; on heal its newer epoch wins and the master steps down', async () => {
    const [h1, h2] = s.agents() as [AgentProcess, AgentProcess];
    await s.round(h1, h1, h1, h2);
  });

  it('had the VIP on two hosts only during the partitions', () => s.overlapsOnlyInPartitions());
});

describe.skipIf(unavailable !== undefined)(`fault: partition and heal, three nodes${skipNote}`, () => {
  const s = partitionSuite(3);

  it('cut off the master: the lowest-skew backup promotes, the other follows it; on heal the old master steps down', async () => {
    const [h1, h2] = s.agents() as [AgentProcess, AgentProcess, AgentProcess];
    await s.round(h1, h2, h2, h1);
  });

  it('cut off a backup: it promotes alone; on heal its newer epoch wins over the majority side', async () => {
    const [, h2, h3] = s.agents() as [AgentProcess, AgentProcess, AgentProcess];
    await s.round(h3, h3, h3, h2);
  });

  it('had the VIP on two hosts only during the partitions', () => s.overlapsOnlyInPartitions());
});
