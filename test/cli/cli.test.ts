// The built command (dist/cli.js) as a real process: what an operator sees on stdout, stderr and $?.
// Run `npm run build` first.
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OPTIONS, flagsOf, type OptionSpec } from '../../src/config/options.js';
import { freePort } from '../support/udp.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const TABLE = OPTIONS as readonly OptionSpec[];

// A clean environment: the secret variables of whoever runs the tests must not leak into floatd.
function env(extra: Record<string, string> = {}): Record<string, string> {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('FLOATD_')) clean[k] = v;
  return { ...clean, ...extra };
}

// Runs floatd to completion; a floatd that should have refused to start but did is stopped by the timeout.
function floatd(args: string[], extraEnv: Record<string, string> = {}) {
  return execa('node', [CLI, ...args], { env: env(extraEnv), extendEnv: false, reject: false, timeout: 10_000 });
}

let dir = '';
let passfile = '';
const started: ResultPromise[] = [];

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build before these tests`);
  dir = await mkdtemp(join(tmpdir(), 'floatd-cli-'));
  passfile = join(dir, 'key');
  await writeFile(passfile, 'correct horse battery staple\nignored second line\n', { mode: 0o600 });
});

afterEach(() => {
  // An agent left running by a failed assertion would keep its port and outlive the test run.
  for (const p of started.splice(0)) if (p.pid !== undefined && p.exitCode === null) process.kill(p.pid, 'SIGKILL');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// A valid command line that only fails where a test breaks it; -i lo with the record driver needs no root.
function valid(over: Record<string, string> = {}): string[] {
  const flags: Record<string, string> = { '-i': 'lo', '-s': '127.0.0.1', '-v': '10', '-a': '10.255.0.99', '-o': passfile, '--vip-driver': 'record', '--state-file': join(dir, 'state.json'), '--run-record': join(dir, 'record.json'), '--control-socket': join(dir, 'ctl.sock'), ...over };
  return Object.entries(flags).flatMap(([k, v]) => [k, v]);
}

describe('floatd --help', () => {
  it('lists every flag of the option table, long and short, and the status and demo commands', async () => {
    const r = await floatd(['--help']);
    expect(r.exitCode).toBe(0);
    for (const o of TABLE) {
      expect(r.stdout).toContain(flagsOf(o));
      expect(r.stdout).toContain(`--${o.long}`);
      if (o.short) expect(r.stdout).toMatch(new RegExp(`^\\s+-${o.short}, --${o.long}\\b`, 'm'));
    }
    expect(r.stdout).toMatch(/^\s+status \[options\]\s+print the state/m);
    expect(r.stdout).toMatch(/^\s+demo\s+run a 3-node cluster/m);
  });

  it('status --help shows its own flags', async () => {
    const r = await floatd(['status', '--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('--json');
    expect(r.stdout).toContain('--state-file <file>');
  });

  it('status --help says what each exit code means', async () => {
    const r = await floatd(['status', '--help']);
    expect(r.stdout).toMatch(/^Exit status:\n {2}0 {2}every vhid shown has a running agent .*\n {2}1 {2}.*\n {2}3 {2}not running: .*\n {2}4 {2}unknown: .*run it as root/m);
  });

  it('status with nothing to show exits 3 (not running), as systemctl status does', async () => {
    // No agent anywhere: no socket of this vhid answers, and no state file of it is found in /run/floatd.
    const r = await floatd(['status', '--vhid', '254']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/no state files for vhid 254 in \/run\/floatd: floatd is not running/);
  });
});

describe('floatd refuses bad input before starting anything', () => {
  it('a bad --vhid exits 1 at once with "floatd: --vhid ..." on stderr and nothing on stdout', async () => {
    const t0 = Date.now();
    const r = await floatd(valid({ '-v': '0' }));
    expect(r.timedOut).toBe(false);
    expect(r.exitCode).toBe(1);
    expect(r.stderr.split('\n')).toEqual(['floatd: --vhid must be an integer from 1 to 255, got "0"']);
    expect(r.stdout).toBe('');
    expect(r.stdout).not.toMatch(/floatd starting/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('reports every bad flag at once, one "floatd:" line each', async () => {
    const r = await floatd(valid({ '-v': 'abc', '-b': '0.005', '-s': '10.0.0.256', '--log-format': 'xml' }));
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'floatd: --vhid must be an integer from 1 to 255, got "abc"',
        'floatd: --advbase must be a number of seconds from 0.01 to 255, got "0.005"',
        'floatd: --srcip must be an IPv4 or IPv6 address such as 10.0.0.1 or 2001:db8::1, got "10.0.0.256"',
        'floatd: --log-format must be one of json, pretty, auto, got "xml"',
      ]),
    );
    expect(lines).toHaveLength(4);
  });

  it('a missing secret is reported, and FLOATD_PASS from the environment is enough', async () => {
    const args = valid();
    args.splice(args.indexOf('-o'), 2);
    const missing = await floatd(args);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toMatch(/^floatd: a shared secret is required/m);

    const fromEnv = await floatd([...args, '--upscript', join(dir, 'nope')], { FLOATD_PASS: 'from-env' });
    // The secret was accepted: the next check in line (the up script) is what fails.
    expect(fromEnv.exitCode).toBe(1);
    expect(fromEnv.stderr).toMatch(/^floatd: --upscript ".*nope" is not an executable file$/m);
    expect(fromEnv.stderr).not.toMatch(/secret/);
  });

  it('an unknown flag exits non-zero and names it', async () => {
    const r = await floatd([...valid(), '--bogus']);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/unknown option '--bogus'/);
    expect(r.stderr).toMatch(/floatd --help/);
    expect(r.stdout).toBe('');
  });

  it('a passfile that does not exist exits 1 naming --passfile and the path, and the command that creates a key', async () => {
    const missing = join(dir, 'no-such-key');
    const r = await floatd(valid({ '-o': missing }));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^floatd: --passfile "${missing}" does not exist; create the shared key with: .+ \\(then copy it to every node of the VIP\\)$`));
    expect(r.stdout).toBe('');
    // The command it prints, run as printed, makes a root-only key that the agent then takes without a word.
    const command = /with: (.+) \(then copy/.exec(r.stderr)?.[1] ?? '';
    expect(command).toBe(`install -m 600 /dev/null ${missing} && head -c 32 /dev/urandom | base64 > ${missing}`);
    expect((await execa('sh', ['-c', command])).exitCode).toBe(0);
    expect((await stat(missing)).mode & 0o777).toBe(0o600);
    const port = await freePort();
    const { agent, lines } = await startUntil(valid({ '-o': missing, '-v': '14', '-a': '10.255.0.14', '--peer': `127.0.0.2:${port}`, '--port': String(port), '--state-file': join(dir, 'made.json') }), /floatd starting/);
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
    process.kill(agent.pid as number, 'SIGTERM');
    expect((await agent).exitCode).toBe(0);
  });

  it('a passfile that is a directory cannot be read either', async () => {
    const r = await floatd(valid({ '-o': dir }));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(`floatd: --passfile "${dir}" cannot be read: EISDIR`);
  });

  it('an empty passfile (or an empty first line) exits 1 naming --passfile and the path', async () => {
    const empty = join(dir, 'empty-key');
    await writeFile(empty, '');
    const r = await floatd(valid({ '-o': empty }));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(`floatd: --passfile "${empty}" is empty: its first line is the shared secret`);

    const blankFirst = join(dir, 'blank-first-key');
    await writeFile(blankFirst, '\nsecret on the second line\n');
    const r2 = await floatd(valid({ '-o': blankFirst }));
    expect(r2.exitCode).toBe(1);
    expect(r2.stderr).toMatch(/--passfile ".*blank-first-key" is empty/);
  });

  it('a FLOATD_PASSFILE that does not exist is reported under its own name', async () => {
    const args = valid();
    args.splice(args.indexOf('-o'), 2);
    const missing = join(dir, 'env-key');
    const r = await floatd(args, { FLOATD_PASSFILE: missing });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^floatd: FLOATD_PASSFILE "${missing}" does not exist; create the shared key with: install -m 600 `));
  });

  it('a non-executable --upscript or --downscript exits 1 naming it', async () => {
    const script = join(dir, 'up.sh');
    await writeFile(script, '#!/bin/sh\nexit 0\n');
    await chmod(script, 0o644);
    const up = await floatd(valid({ '-u': script }));
    expect(up.exitCode).toBe(1);
    expect(up.stderr).toBe(`floatd: --upscript "${script}" is not an executable file`);
    expect(up.stdout).toBe('');

    const down = await floatd(valid({ '--downscript': join(dir, 'missing.sh') }));
    expect(down.exitCode).toBe(1);
    expect(down.stderr).toBe(`floatd: --downscript "${join(dir, 'missing.sh')}" is not an executable file`);
  });

  it('a --fence that cannot run exits 1 naming it: a typo there would otherwise block every failover', async () => {
    const r = await floatd(valid({ '--fence': join(dir, 'fence-typo') }));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(`floatd: --fence "${join(dir, 'fence-typo')}" is not an executable file`);
  });

  it('a --data-version that cannot run exits 1 naming it, and nothing starts', async () => {
    const r = await floatd(valid({ '--data-version': join(dir, 'version-typo') }));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(`floatd: --data-version "${join(dir, 'version-typo')}" is not an executable file`);
    expect(r.stdout).toBe('');
  });

  it('floatd witness given a VIP exits 1 naming --addr and the value', async () => {
    const args = valid({}).filter((a, i, all) => a !== '-a' && all[i - 1] !== '-a');
    const r = await floatd(['witness', ...args, '-a', '10.0.0.99']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe('floatd: floatd witness holds no VIP and runs no hooks: --addr is not for it, got "10.0.0.99"');
  });

  it('a --hooks-dir that does not exist exits 1 naming it', async () => {
    const missing = join(dir, 'no-hooks');
    const r = await floatd(valid({ '--hooks-dir': missing }));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(`floatd: --hooks-dir "${missing}" does not exist`);
  });

  it('an --interface that does not exist exits 1 naming it', async () => {
    const r = await floatd(valid({ '-i': 'nosuch0' }));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe('floatd: --interface "nosuch0" does not exist on this host (see: ip link)');
    expect(r.stdout).toBe('');
  });

  it('--mcastip is checked as --mcast', async () => {
    const r = await floatd(valid({ '--mcastip': '10.0.0.1' }));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe('floatd: --mcast must be a multicast address (224.0.0.0–239.255.255.255), got "10.0.0.1"');
  });
});

type Line = Record<string, unknown> & { level: number; msg: string };

// Starts an agent and resolves with its JSON log lines once one matches `until`.
async function startUntil(args: string[], until: RegExp, extraEnv: Record<string, string> = {}): Promise<{ agent: ResultPromise; lines: Line[] }> {
  const agent = execa('node', [CLI, ...args, '--log-format', 'json'], { env: env(extraEnv), extendEnv: false, reject: false, timeout: 20_000 });
  started.push(agent);
  const lines: Line[] = [];
  await new Promise<void>((resolve, reject) => {
    let buffered = '';
    agent.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const complete = buffered.split('\n');
      buffered = complete.pop() ?? '';
      for (const text of complete) {
        const line = JSON.parse(text) as Line;
        lines.push(line);
        if (until.test(line.msg)) resolve();
      }
    });
    void agent.then((r) => reject(new Error(`floatd exited (${r.exitCode}) before logging ${until}: ${r.stderr}`)));
  });
  return { agent, lines };
}

describe('floatd starts', () => {
  it('-p secret starts, but warns that the secret is visible in ps', async () => {
    const port = await freePort();
    const stateFile = join(dir, 'pass.json');
    const args = ['-p', 'secret', '--vip-driver', 'record', '-i', 'lo', '-s', '127.0.0.1', '-v', '11', '-a', '10.255.0.11', '--peer', `127.0.0.2:${port}`, '--port', String(port), '--state-file', stateFile, '--run-record', `${stateFile}.record`, '--control-socket', `${stateFile}.sock`];
    const { agent, lines } = await startUntil(args, /floatd starting/);
    const warning = lines.find((l) => l.level === 40 && /--pass/.test(l.msg));
    expect(warning?.msg).toMatch(/visible to every user in ps/);
    expect(lines.indexOf(warning as Line)).toBeLessThan(lines.findIndex((l) => l.msg === 'floatd starting'));
    expect(lines.find((l) => l.msg === 'floatd starting')).toMatchObject({ transport: `unicast to 127.0.0.2:${port}`, advbase: 1, advskew: 0 });

    process.kill(agent.pid as number, 'SIGTERM');
    const r = await agent;
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('a passfile that group or others may read starts, with a warning naming the file, its mode and the chmod', async () => {
    const port = await freePort();
    const open = join(dir, 'open-key');
    await writeFile(open, 'correct horse battery staple\n', { mode: 0o644 });
    await chmod(open, 0o644);
    const args = valid({ '-o': open, '-v': '15', '-a': '10.255.0.15', '--peer': `127.0.0.2:${port}`, '--port': String(port), '--state-file': join(dir, 'open.json') });
    const { agent, lines } = await startUntil(args, /floatd starting/);
    const warning = lines.find((l) => l.level === 40 && l.event === 'secret-mode');
    expect(warning?.msg).toBe(`--passfile "${open}" is readable by group or others (mode 0644): whoever reads the shared secret can forge adverts and take the VIP; run chmod 600 ${open}`);
    process.kill(agent.pid as number, 'SIGTERM');
    expect((await agent).exitCode).toBe(0);
  });

  it('a secret from --passfile or FLOATD_PASS brings no warning', async () => {
    const port = await freePort();
    const args = valid({ '-v': '12', '-a': '10.255.0.12', '--peer': `127.0.0.2:${port}`, '--port': String(port), '--state-file': join(dir, 'file.json') });
    const { agent, lines } = await startUntil(args, /floatd starting/);
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
    process.kill(agent.pid as number, 'SIGTERM');
    expect((await agent).exitCode).toBe(0);
  });

  it('--mcastip works like --mcast', async () => {
    const port = await freePort();
    const args = valid({ '-v': '13', '-a': '10.255.0.13', '--mcastip': '239.255.5.99', '--port': String(port), '--state-file': join(dir, 'mcast.json') });
    const { agent, lines } = await startUntil(args, /floatd starting/);
    expect(lines.find((l) => l.msg === 'floatd starting')).toMatchObject({ transport: `multicast 239.255.5.99:${port}` });
    process.kill(agent.pid as number, 'SIGTERM');
    expect((await agent).exitCode).toBe(0);
  });
});

describe('floatd status', () => {
  const doc = {
    vhid: 10,
    vip: '10.0.0.99',
    interface: 'eth0',
    srcip: '10.0.0.1',
    pid: 999_999_999,
    state: 'BACKUP',
    since: '2025-01-02T03:04:05.000Z',
    master: '10.0.0.2',
    epoch: 4,
    maxEpochSeen: 4,
    reason: 'master 10.0.0.2 is preferred',
    serving: false,
    vipHeld: false,
    hooksInProgress: [],
    seqFloor: '1000000000',
    updatedAt: '2025-01-02T03:04:06.000Z',
  };

  it('exits 1 with a message when the state file is missing', async () => {
    const missing = join(dir, 'missing.json');
    const r = await floatd(['status', '--state-file', missing]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(`floatd: --state-file "${missing}" is missing or not a floatd state file`);
    expect(r.stdout).toBe('');
  });

  it('exits 1 when the state file is not a floatd state file', async () => {
    const junk = join(dir, 'junk.json');
    await writeFile(junk, '{"hello": "world"}\n');
    const r = await floatd(['status', '--state-file', junk]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/--state-file ".*junk\.json" is missing or not a floatd state file/);
  });

  it('--json prints a hand-written state file back', async () => {
    const file = join(dir, 'vhid-10.json');
    await writeFile(file, JSON.stringify(doc));
    const r = await floatd(['status', '--state-file', file, '--json']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(doc);
  });

  it('without --json prints one line for people, noting a pid that is not running, and exits 3 (not running)', async () => {
    const file = join(dir, 'vhid-10-text.json');
    await writeFile(file, JSON.stringify(doc));
    const r = await floatd(['status', '--state-file', file]);
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toBe(
      'vhid 10 VIP 10.0.0.99 on eth0 (10.0.0.1): BACKUP since 2025-01-02T03:04:05.000Z, master 10.0.0.2, own epoch 4 — master 10.0.0.2 is preferred (stale: pid 999999999 is not running)',
    );
    // Several -a are all shown; a state file of earlier versions has vip alone.
    await writeFile(file, JSON.stringify({ ...doc, vips: ['10.0.0.99', '2001:db8::99'] }));
    expect((await floatd(['status', '--state-file', file])).stdout).toMatch(/^vhid 10 VIPs 10\.0\.0\.99 2001:db8::99 on eth0 /);
    // A state file of this version also names the master's epoch.
    await writeFile(file, JSON.stringify({ ...doc, masterEpoch: 5 }));
    expect((await floatd(['status', '--state-file', file])).stdout).toMatch(/, master 10\.0\.0\.2 at epoch 5, own epoch 4 — /);
  });
});
