// --metrics-listen on real agents in namespaces: each agent serves /metrics on its own host's loopback, a
// scrape passes `promtool check metrics` (Debian's prometheus package), and across a failover (the master
// SIGKILLed) the counters move as the election did: the new master's become-master, its transition by
// cause, its failover steps and up hooks; the third node's adverts heard, and no transition of its own.
import { execFile } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLab, type AgentProcess, type Lab, type LabHost, watchLab } from '../support/netns.js';
import { sample } from '../metrics/samples.js';
import { becomes, isServing, isStarting, joined, skipNote, startAgent, unavailable, type AgentSpec } from './faults/fault-lab.js';

const VIP = '198.51.100.100';
const VHID = 61;
const LISTEN = '127.0.0.1:9798'; // every host has its own loopback
const spec = (advskew: number): AgentSpec => ({ vhid: VHID, vip: VIP, advbase: 0.2, advskew, up: ['mark'], down: ['mark'], extra: ['--metrics-listen', LISTEN] });

// `promtool check metrics` on a scrape: its exit code and what it said (lint problems are printed).
function promtool(text: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = execFile('promtool', ['check', 'metrics'], (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }));
    child.stdin?.end(text);
  });
}

describe.skipIf(unavailable !== undefined)(`metrics across a failover${skipNote}`, () => {
  let lab: Lab;
  let hosts: LabHost[];
  const agents: AgentProcess[] = [];

  // GET /metrics inside the host's namespace (its loopback), with node's fetch.
  const scrape = async (host: LabHost): Promise<string> => {
    const r = await lab.exec(host, [process.execPath, '-e', `fetch('http://${LISTEN}/metrics').then(async (r) => { if (!r.ok) process.exit(1); process.stdout.write(await r.text()); })`]);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };

  beforeAll(async () => {
    lab = await createLab({ hosts: 3 });
    hosts = lab.hosts;
  });

  watchLab(() => lab);

  it('each agent serves its role and counters; a scrape passes promtool check metrics', async () => {
    const [h1, h2, h3] = hosts as [LabHost, LabHost, LabHost];
    agents.push(startAgent(lab, h1, spec(0)));
    await agents[0]!.waitFor('h1 listening', isStarting);
    agents.push(startAgent(lab, h2, spec(50)), startAgent(lab, h3, spec(100)));
    await agents[0]!.waitFor('h1 serving', isServing);
    await Promise.all(agents.slice(1).map((a) => joined(a)));
    const [m, b] = [await scrape(h1), await scrape(h2)];
    const checked = await promtool(m);
    expect(checked, checked.out).toEqual({ code: 0, out: '' });
    expect(sample(m, 'floatd_is_master', { vhid: String(VHID) })).toBe(1);
    expect(sample(m, 'floatd_become_master_total')).toBe(1);
    expect(sample(m, 'floatd_adverts_sent_total', { type: 'advert' })).toBeGreaterThan(0);
    expect(sample(m, 'floatd_vip_held')).toBe(1);
    expect(sample(b, 'floatd_is_master')).toBe(0);
    expect(sample(b, 'floatd_state', { state: 'BACKUP' })).toBe(1);
    expect(sample(b, 'floatd_adverts_received_total', { type: 'advert' })).toBeGreaterThan(0);
    expect(sample(b, 'floatd_adverts_dropped_total', { reason: 'bad-hmac' })).toBe(0);
  });

  it('after the master is killed, the new master counts its promotion, its cause and its steps; the third node only hears it', async () => {
    const [, h2, h3] = hosts as [LabHost, LabHost, LabHost];
    const [first, second, third] = agents as [AgentProcess, AgentProcess, AgentProcess];
    const thirdBefore = await scrape(h3);
    const since = second.mark();
    first.kill('SIGKILL');
    await first.exited;
    await second.waitFor('h2 MASTER', becomes('MASTER'), { since, timeoutMs: 5000 });
    await second.waitFor('h2 serving', isServing, { since });
    const m = await scrape(h2);
    const checked = await promtool(m);
    expect(checked, checked.out).toEqual({ code: 0, out: '' });
    expect(sample(m, 'floatd_is_master')).toBe(1);
    expect(sample(m, 'floatd_become_master_total')).toBe(1);
    expect(sample(m, 'floatd_transitions_total', { from: 'BACKUP', to: 'MASTER', reason: 'master-down' })).toBe(1);
    expect(sample(m, 'floatd_epoch')).toBe(2);
    expect(sample(m, 'floatd_hook_runs_total', { phase: 'up' })).toBe(1);
    expect(sample(m, 'floatd_hook_failures_total', { phase: 'up' })).toBe(0);
    expect(sample(m, 'floatd_hook_duration_seconds_count', { phase: 'up' })).toBe(1);
    const [promoted, vip, serving] = ['promoted', 'vip_added', 'serving'].map((step) => sample(m, 'floatd_last_failover_step_seconds', { step }));
    expect(promoted).toBe(0); // no gate and no quorum: the claim is the promotion
    expect(vip).toBeGreaterThan(0);
    expect(serving).toBeGreaterThanOrEqual(vip!);
    expect(sample(m, 'floatd_last_failover_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 30);
    const t = await scrape(h3);
    expect(sample(t, 'floatd_is_master')).toBe(0);
    expect(sample(t, 'floatd_become_master_total')).toBe(0);
    expect(sample(t, 'floatd_transitions_total', { from: 'BACKUP', to: 'MASTER' })).toBeUndefined();
    expect(sample(t, 'floatd_adverts_received_total', { type: 'advert' })).toBeGreaterThan(sample(thirdBefore, 'floatd_adverts_received_total', { type: 'advert' })!);
    second.kill('SIGTERM');
    third.kill('SIGTERM');
    await Promise.all([second.exited, third.exited]);
  });
});
