// docs/guide.md's first cluster, run as written: its commands are read from the guide's code blocks and run
// on two namespace hosts where scripts/install.sh put floatd (test/docs/installed-host.ts), and every log line
// and the `floatd status` line the section quotes must be what the agents write. What cannot run here is
// translated, and only that: the guide's addresses and eth0 become the lab's, `scp` copies the key between
// the hosts, systemctl start/stop/kill run the installed unit's commands (systemd is not PID 1 here), and the
// nft rule is skipped (the lab's namespaces have no firewall). A command the test does not know fails it.
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, createLab, type AgentProcess, type Lab, type LabHost, watchLab } from '../support/netns.js';
import { becomes, follows, isServing, joined, skipNote, unavailable } from '../netns/faults/fault-lab.js';
import { CLEAN_EXIT, InstalledHost, KILLED } from './installed-host.js';
import { codeFragments, quotedLinePattern } from './markdown.js';

const GUIDE = fileURLToPath(new URL('../../docs/guide.md', import.meta.url));
const VIP = '198.51.100.99';
// The guide's hosts: A is 10.0.0.1, B is 10.0.0.2, the VIP 10.0.0.99, both on eth0.
const GUIDE_IPS = { a: '10.0.0.1', b: '10.0.0.2', vip: '10.0.0.99' };

describe.skipIf(unavailable !== undefined)(`docs/guide.md: the first cluster, as written${skipNote}`, () => {
  let lab: Lab;
  let a: InstalledHost;
  let b: InstalledHost;
  let section = '';
  const agents = new Map<InstalledHost, AgentProcess[]>();
  const all = () => [...agents.values()].flat();

  // The guide's names for this lab's: its addresses, and eth0 as the host's own interface.
  const addresses = (): Record<string, string> => ({ [GUIDE_IPS.a]: a.host.ip, [GUIDE_IPS.b]: b.host.ip, [GUIDE_IPS.vip]: VIP });
  const onHost = (h: InstalledHost, text: string) => Object.entries(addresses()).reduce((t, [from, to]) => t.replaceAll(from, to), text.replaceAll('eth0', h.host.iface));
  const hostOf = (ip: string) => (ip === GUIDE_IPS.a ? a : ip === GUIDE_IPS.b ? b : undefined);
  const run = async (h: InstalledHost, command: string) => {
    const r = await h.sh(onHost(h, command));
    expect(r.code, `${h.host.name}: ${command}\n${r.stderr}`).toBe(0);
    return r.stdout;
  };
  const start = async (h: InstalledHost, unit: string) => {
    const agent = await h.start(unit);
    agents.set(h, [...(agents.get(h) ?? []), agent]);
    // systemctl start returns once the agent has joined the election (Type=notify, READY=1).
    await joined(agent, 10_000);
    return agent;
  };
  const current = (h: InstalledHost) => agents.get(h)?.at(-1) as AgentProcess;

  beforeAll(async () => {
    section = await readFile(GUIDE, 'utf8').then((g) => g.slice(g.indexOf('## The first cluster'), g.indexOf('## Choosing timers')));
    lab = await createLab({ hosts: 2 });
    // The binary install.sh installs: this build, so the test needs no npm run build:binary (test/scripts/binary.test.ts covers that one).
    const binary = join(lab.dir, 'floatd');
    writeFileSync(binary, `#!/bin/sh\nexec ${process.execPath} ${CLI_PATH} "$@"\n`, { mode: 0o755 });
    const [h1, h2] = lab.hosts as [LabHost, LabHost];
    a = await InstalledHost.install(lab, h1, binary);
    b = await InstalledHost.install(lab, h2, binary);
  });

  watchLab(() => lab, { before: async () => [a, b].forEach((h) => h?.close()) });
  afterAll(() => [a, b].forEach((h) => h?.close()));

  it('steps 1–4: the key, the config, the start and floatd status, with the lines the guide quotes', async () => {
    const lines = codeFragments(section).fenced.map((l) => l.replace(/\s+#.*$/, '').trim()).filter(Boolean);
    const onB = /On B the same with `([^`]+)`/.exec(section)?.[1] ?? '';
    expect(onB).not.toBe('');
    let statusOut = '';
    for (const line of lines) {
      if (/^install .*&& head -c 32 \/dev\/urandom/.test(line)) await run(a, line); // "On A:"
      else if (/^scp /.test(line)) {
        const [, from, ip, to] = /^scp -p (\S+) root@([\d.]+):(\S+)$/.exec(line) ?? [];
        const mode = (await run(a, `stat -c %a ${from}`)).trim();
        await hostOf(ip ?? '')?.write(to ?? '', await a.read(from ?? ''), mode);
        expect(hostOf(ip ?? ''), line).toBe(b);
      } else if (/^cp \/etc\/floatd\/vip\.conf\.example /.test(line)) for (const h of [a, b]) await run(h, line);
      else if (/^FLOATD_OPTS=/.test(line)) {
        // "set the one line that matters. On A: …; on B the same with -s 10.0.0.2 -k 10".
        const forB = onB.split(/\s+(?=-)/).reduce((l, pair) => l.replace(new RegExp(`(\\s)${pair.split(' ')[0]} \\S+`), `$1${pair}`), line);
        for (const [h, opts] of [[a, line], [b, forB]] as const) {
          const conf = await h.read('/etc/floatd/vip10.conf');
          await h.write('/etc/floatd/vip10.conf', conf.replace(/^FLOATD_OPTS=.*$/m, onHost(h, opts)), '644');
        }
      } else if (/^nft /.test(line)) continue; // no firewall in the lab's namespaces
      else if (/^systemctl enable --now floatd@(\S+)$/.test(line)) {
        const unit = line.split('@')[1] ?? '';
        await start(a, unit); // on A, then on B
        await start(b, unit);
        await current(a).waitFor('A serving', isServing, { timeoutMs: 10_000 });
      } else if (line === 'floatd status') statusOut = await run(a, line);
      else if (/^(systemctl|floatd) /.test(line)) continue; // steps 5 and on: the next test
      else throw new Error(`the guide's first cluster has a command this test does not know how to run: ${line}`);
    }
    // What step 1 made: a root-only key, the same on both hosts.
    expect(await b.read('/etc/floatd/key')).toBe(await a.read('/etc/floatd/key'));
    expect((await run(b, 'stat -c %a /etc/floatd/key')).trim()).toBe('600');
    expect(current(b).state).toBe('BACKUP');
    expect(await lab.vipHolders(VIP)).toEqual([a.host.name]);

    // The status line the guide shows for A, its time aside.
    const shown = /^ {4}(vhid .*)$/m.exec(section)?.[1] ?? '';
    expect(shown).not.toBe('');
    const pattern = quotedLinePattern(onHost(a, shown.replace(/\d{4}-\d\d-\d\dT\S+Z/, '…')), addresses());
    expect(statusOut.split('\n')[0], pattern.source).toMatch(pattern);
  });

  it('step 5: a stop hands over by the resign, a restarted host joins as BACKUP, a crash is cleaned up and taken over', async () => {
    expect(section).toMatch(/On A, `systemctl stop floatd@vip10`/);
    // systemctl stop: SIGTERM to the agent (KillMode=mixed), then ExecStopPost= after its clean exit.
    current(a).kill('SIGTERM');
    expect((await current(a).exited).code).toBe(0);
    expect((await a.stopPost('vip10', CLEAN_EXIT)).code).toBe(0);
    await current(b).waitFor('B MASTER', becomes('MASTER'), { timeoutMs: 5000 });
    const again = await start(a, 'vip10');
    await current(b).waitFor('B serving', isServing, { timeoutMs: 5000 });
    expect(again.state).toBe('BACKUP');
    await follows(again, b.host); // it has heard B's adverts: B is its master

    // systemctl kill -s KILL on the master (B), then ExecStopPost=, then Restart=always.
    expect(section).toMatch(/`systemctl kill -s KILL floatd@vip10` on the master/);
    current(b).kill('SIGKILL');
    await current(b).exited;
    const cleanup = await b.stopPost('vip10', KILLED);
    expect(cleanup.code, cleanup.stdout + cleanup.stderr).toBe(0);
    expect(await lab.vipHolders(VIP)).not.toContain(b.host.name);
    await current(a).waitFor('A serving again', isServing, { timeoutMs: 10_000 });
    const restarted = await start(b, 'vip10');
    expect(restarted.state).toBe('BACKUP');
    expect(await lab.vipHolders(VIP)).toEqual([a.host.name]);
  });

  it('every log line steps 4 and 5 quote was written by an agent of this run', () => {
    // Code spans of the prose, also those that a line break splits.
    const prose = section.replace(/```[\s\S]*?```/g, '').replace(/\s*\n\s*/g, ' ');
    const inline = [...prose.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');
    const quoted = inline.filter((c) => / -> |^VIP (added|removed)$|^MASTER ready|^master down/.test(c));
    expect(quoted.length).toBeGreaterThanOrEqual(7);
    // A line as it is, or the reason of a transition ("master down: …" of "BACKUP -> MASTER: master down: …").
    const logged = all().flatMap((g) => g.lines.flatMap((l) => [l.msg, ...(l.event === 'transition' && typeof l.reason === 'string' ? [l.reason] : [])]));
    for (const q of quoted) {
      const pattern = quotedLinePattern(q, addresses());
      expect(logged.filter((m) => pattern.test(m)), `${q} (${pattern.source})`).not.toEqual([]);
    }
  });
});
