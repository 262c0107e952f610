// Fault: the two nodes' secrets differ. With `secret   ` in one passfile and `secret` in the other, floatd
// used to derive two keys, so neither believed the other and both held the VIP, quietly (a rate-limited
// warning). Now spaces around a secret are not part of it (docs/operations.md), and a peer whose adverts
// for our vhid fail HMAC is a loud condition: an error line that repeats while it lasts, in `floatd status`.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, createLab, sleep, type AgentProcess, type Lab, type LabHost, watchLab } from '../../support/netns.js';
import { agentArgs, becomes, follows, isServing, isStarting, joined, masterDownMs, skipNote, stopAll, transitions, unavailable, type AgentSpec } from './fault-lab.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { quotedLinePattern, quotedLogLines } from '../../docs/markdown.js';

const VIP = '198.51.100.100';
const spec = (vhid: number, advskew: number): AgentSpec => ({ vhid, vip: VIP, advbase: 0.3, advskew, shutdown: true });
const PERIOD_MS = 10_000; // the alarm's repeat period (src/net/auth-alarm.ts)

describe.skipIf(unavailable !== undefined)(`fault: the nodes' secrets differ${skipNote}`, () => {
  let lab: Lab;
  let h1: LabHost;
  let h2: LabHost;

  const secret = (name: string, text: string): string => {
    const path = join(lab.dir, name);
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  };
  // The lab's flags with this host's own passfile (the last -o wins).
  const start = (host: LabHost, s: AgentSpec, passfile: string): AgentProcess => lab.spawnAgent(host, [...agentArgs(lab, host, s), '-o', passfile]);
  const status = (host: LabHost, vhid: number): Promise<string> =>
    new Promise((resolve, reject) =>
      execFile(process.execPath, [CLI_PATH, 'status', '--state-file', join(lab.dir, `${host.name}-vhid${vhid}.json`)], (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))),
    );

  beforeAll(async () => {
    lab = await createLab({ hosts: 2 });
    [h1, h2] = lab.hosts as [LabHost, LabHost];
  });

  watchLab(() => lab);

  it('"secret   " on one node and "secret" on the other are the same key: one master, and a start-up warning names the trimmed spaces', async () => {
    const [s1, s2] = [spec(37, 0), spec(37, 50)];
    const first = start(h1, s1, secret('spaces', 'lab secret   \n'));
    await first.waitFor('h1 listening', isStarting);
    const second = start(h2, s2, secret('plain', 'lab secret\n'));
    await first.waitFor('h1 serving', isServing);
    await joined(second);
    await follows(second, h1);
    await sleep(3 * masterDownMs(s2));
    expect(transitions(second).map((l) => l.state)).toEqual(['BACKUP']);
    expect(await lab.vipHolders(VIP)).toEqual(['h1']);
    expect(second.lines.filter((l) => l.drop === 'bad-hmac')).toEqual([]);
    const trimmed = first.lines.find((l) => typeof l.trimmed === 'number');
    expect(trimmed?.trimmed).toBe(3);
    expect(trimmed?.msg).toMatch(/had 3 space\/tab character\(s\) around it, which are not part of it/);
    await stopAll([first, second]);
  });

  it('different secrets: both nodes say so at error level at once, again every period while it lasts, and `floatd status` shows it', async () => {
    const [s1, s2] = [spec(38, 0), spec(38, 50)];
    const first = start(h1, s1, secret('one', 'secret one\n'));
    await first.waitFor('h1 serving', isServing);
    const second = start(h2, s2, secret('two', 'secret two\n'));
    // Neither can verify the other, so h2 promotes too: the condition this alarm exists for.
    await second.waitFor('h2 MASTER', becomes('MASTER'), { timeoutMs: 5000 });
    const alarm = (agent: AgentProcess, other: LabHost) => (l: { event?: string; from?: unknown }) => l.event === 'auth-failure' && l.from === other.ip;
    const firstAlarm = await first.waitFor('h1 alarm', alarm(first, h2), { timeoutMs: 3000 });
    expect(firstAlarm.level).toBe(50);
    expect(firstAlarm.msg).toMatch(/both nodes may be MASTER \(this node is MASTER\)/);
    await second.waitFor('h2 alarm', alarm(second, h1), { timeoutMs: 3000 });
    // Every line the guide's troubleshooting table quotes about HMAC failures is one the agents wrote.
    const guide = readFileSync(fileURLToPath(new URL('../../../docs/guide.md', import.meta.url)), 'utf8');
    const quoted = quotedLogLines(guide.slice(guide.indexOf('## Troubleshooting')).split('\n'), /HMAC/);
    expect(quoted.length).toBeGreaterThan(0);
    const logged = [...first.lines, ...second.lines].map((l) => l.msg);
    for (const q of quoted) expect(logged.filter((m) => quotedLinePattern(q).test(m)), q).not.toEqual([]);
    expect(await status(h1, 38)).toMatch(new RegExp(`WARNING: adverts from ${h2.ip.replaceAll('.', '\\.')} fail HMAC verification \\(\\d+ since `));

    const repeat = await first.waitFor('h1 repeats the alarm', (l) => alarm(first, h2)(l) && l !== firstAlarm, { since: first.lines.indexOf(firstAlarm) + 1, timeoutMs: PERIOD_MS + 3000 });
    expect(repeat.at - firstAlarm.at).toBeGreaterThan(PERIOD_MS - 1000);

    // h2 stops (with -z it resigns, which h1 cannot verify either): after a quiet period the condition ends.
    second.kill('SIGTERM');
    await second.exited;
    const ended = await first.waitFor('h1 alarm ends', (l) => l.event === 'auth-failure-ended' && l.from === h2.ip, { since: first.lines.indexOf(repeat) + 1, timeoutMs: 2 * PERIOD_MS + 3000 });
    expect(ended.msg).toMatch(/^no unverifiable adverts from 198\.51\.100\.12 for 10 s \(\d+ in all\)$/);
    expect(await status(h1, 38)).not.toMatch(/WARNING/);
    await stopAll([first]);
  }, 60_000);
});
