// Key rotation without a window, on three real agents in namespaces with a quorum (every node sends
// presence, so every node verifies every other): each starts with today's single-line passfile; then, one
// node at a time with a SIGHUP after each edit, the new key is added (accepted, not yet signing), made the
// active one, and the old one removed. Nobody changes role, no advert fails its HMAC, and in the end every
// node verifies its peers with the new key only.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLab, sleep, type AgentLine, type AgentProcess, type Lab, type LabHost, watchLab } from '../support/netns.js';
import { sample } from '../metrics/samples.js';
import { agentArgs, isServing, isStarting, joined, masterDownMs, skipNote, transitions, unavailable, type AgentSpec } from './faults/fault-lab.js';

const VIP = '198.51.100.100';
const VHID = 62;
const LISTEN = '127.0.0.1:9798';
const OLD = 'the old shared secret';
const NEW = 'the new shared secret';
const spec = (advskew: number): AgentSpec => ({ vhid: VHID, vip: VIP, advbase: 0.2, advskew, shutdown: true, extra: ['--nodes', '3', '--metrics-listen', LISTEN] });
const SPECS = [spec(0), spec(50), spec(100)];

const reloaded = (l: AgentLine) => l.event === 'keys' && l.ok === true;
const unverified = (l: AgentLine) => l.drop === 'bad-hmac' || l.event === 'auth-failure';

describe.skipIf(unavailable !== undefined)(`key rotation on a running cluster${skipNote}`, () => {
  let lab: Lab;
  let hosts: LabHost[];
  const agents: AgentProcess[] = [];
  const passfile = (host: LabHost) => join(lab.dir, `key-${host.name}`);
  const scrape = async (host: LabHost): Promise<string> => {
    const r = await lab.exec(host, [process.execPath, '-e', `fetch('http://${LISTEN}/metrics').then(async (r) => process.stdout.write(await r.text()))`]);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };
  // Rewrites one node's passfile and has its agent reload it; resolves on the agent's "keys reloaded" line.
  const edit = async (i: number, text: string) => {
    const agent = agents[i]!;
    writeFileSync(passfile(hosts[i]!), text, { mode: 0o600 });
    const since = agent.mark();
    agent.kill('SIGHUP');
    await agent.waitFor(`${agent.host.name} reloaded`, reloaded, { since, timeoutMs: 3000 });
    // A few advert intervals with the cluster in this mixed state before the next node changes.
    await sleep(600);
  };

  beforeAll(async () => {
    lab = await createLab({ hosts: 3 });
    hosts = lab.hosts;
  });

  watchLab(() => lab);

  it('rotates from a single-line passfile to a new key with no transition and no rejected advert', async () => {
    hosts.forEach((h) => writeFileSync(passfile(h), `${OLD}\n`, { mode: 0o600 }));
    const start = (i: number) => lab.spawnAgent(hosts[i]!, [...agentArgs(lab, hosts[i]!, SPECS[i]!), '-o', passfile(hosts[i]!)]);
    agents.push(start(0));
    await agents[0]!.waitFor('h1 listening', isStarting);
    agents.push(start(1), start(2));
    await agents[0]!.waitFor('h1 serving', isServing, { timeoutMs: 8000 });
    await Promise.all(agents.slice(1).map((a) => joined(a)));
    await sleep(1000);
    const marks = agents.map((a) => a.mark());

    const ring = (active: 'old' | 'new', keys: ('old' | 'new')[]) => ['floatd-keys v1', ...keys.map((k) => `key ${k} ${k === 'old' ? OLD : NEW}`), `active ${active}`, ''].join('\n');
    for (const i of [0, 1, 2]) await edit(i, ring('old', ['old', 'new'])); // 1: accept the new key everywhere
    for (const i of [1, 2, 0]) await edit(i, ring('new', ['old', 'new'])); // 2: sign with it, node by node
    for (const i of [0, 1, 2]) await edit(i, ring('new', ['new'])); // 3: retire the old key
    await sleep(2 * masterDownMs(SPECS[2]!));

    agents.forEach((a, i) => {
      expect(transitions(a, marks[i]), a.host.name).toEqual([]);
      expect(a.lines.filter(unverified), a.host.name).toEqual([]);
    });
    expect(await lab.vipHolders(VIP)).toEqual(['h1']);
    for (const h of hosts) {
      const text = await scrape(h);
      expect(sample(text, 'floatd_adverts_dropped_total', { reason: 'bad-hmac' }), h.name).toBe(0);
      expect(sample(text, 'floatd_key_active', { key_id: 'new' }), h.name).toBe(1);
      expect(sample(text, 'floatd_key_active', { key_id: 'old' }), h.name).toBeUndefined();
      expect(sample(text, 'floatd_key_verified_total', { key_id: 'new' }), h.name).toBeGreaterThan(0);
      expect(sample(text, 'floatd_key_reloads_total', { result: 'ok' }), h.name).toBe(3);
      expect(sample(text, 'floatd_state', { state: h === hosts[0] ? 'MASTER' : 'BACKUP' }), h.name).toBe(1);
    }
  });

  it('after the rotation a node with only the old key is refused: the old key is really gone', async () => {
    const h3 = hosts[2]!;
    const since = agents[0]!.mark();
    writeFileSync(passfile(h3), `${OLD}\n`, { mode: 0o600 });
    agents[2]!.kill('SIGHUP');
    await agents[0]!.waitFor('h1 hears an unverifiable peer', (l) => l.event === 'auth-failure' && l.from === h3.ip, { since, timeoutMs: 3000 });
    for (const a of agents) a.kill('SIGTERM');
    await Promise.all(agents.map((a) => a.exited));
  });
});
