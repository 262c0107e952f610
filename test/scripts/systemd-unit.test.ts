// The shipped unit must pass systemd-analyze verify (PID 1 is not systemd on CI, so it is never started here).
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const UNIT = resolve('scripts/systemd/floatd@.service');
let dir: string;

// verify wants the ExecStart and ExecStopPost binary to exist: point both at this checkout's build.
async function verify(text: string): Promise<{ exitCode: number | undefined; complaints: string }> {
  const path = join(dir, 'floatd@vip10.service');
  await writeFile(path, text.replaceAll('/usr/local/sbin/floatd', `${process.execPath} ${resolve('dist/cli.js')}`));
  const r = await execa('systemd-analyze', ['verify', path], { reject: false });
  // verify also reports unrelated host units; only lines about this file count.
  const complaints = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.includes('floatd@vip10')).join('\n');
  return { exitCode: r.exitCode, complaints };
}

describe('scripts/systemd/floatd@.service', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'floatd-unit-'));
    await copyFile(UNIT, join(dir, 'original.service'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('passes systemd-analyze verify without a complaint', async () => {
    const r = await verify(await readFile(UNIT, 'utf8'));
    expect(r.complaints).toBe('');
    expect(r.exitCode).toBe(0);
  });

  it('would be caught if it were broken (the check can fail)', async () => {
    const broken = (await readFile(UNIT, 'utf8')).replace('Type=notify', 'Type=bogus');
    const r = await verify(broken);
    expect(r.complaints).toMatch(/Failed to parse service type/);
  });

  // verify runs man(1) for each man: entry, so a page of another package (ucarp's) fails wherever it is absent.
  it('names only floatd\'s own documentation: a man: page this machine lacks would fail verify', async () => {
    const text = await readFile(UNIT, 'utf8');
    const docs = /^Documentation=(.*)$/m.exec(text)?.[1]?.split(/\s+/) ?? [];
    expect(docs.length).toBeGreaterThan(0);
    expect(docs.filter((d) => !/^(https:\/\/www\.npmjs\.com\/package\/floatd|file:\/usr\/share\/doc\/floatd\/)/.test(d))).toEqual([]);
    const r = await verify(text.replace(/^Documentation=.*$/m, 'Documentation=man:floatd-no-such-page(8)'));
    expect(r.complaints).toMatch(/man floatd-no-such-page\(8\)' failed/);
  });

  it('gives the down hooks longer than the default hook timeout to finish, at start and at stop', async () => {
    const text = await readFile(UNIT, 'utf8');
    for (const key of ['TimeoutStopSec', 'TimeoutStartSec']) expect(Number(new RegExp(`^${key}=(\\d+)$`, 'm').exec(text)?.[1]), key).toBeGreaterThan(60);
    expect(text).not.toMatch(/ExecStart=.*\s-B\b/);
  });

  it('is Type=notify with a watchdog, restarts always, and accepts the relay\'s notifications', async () => {
    const text = await readFile(UNIT, 'utf8');
    const value = (key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(text)?.[1];
    expect(value('Type')).toBe('notify');
    expect(value('NotifyAccess')).toBe('all');
    expect(Number(value('WatchdogSec'))).toBeGreaterThan(0);
    expect(value('Restart')).toBe('always');
  });

  it('runs floatd cleanup after every exit with exactly the agent\'s flags and state file', async () => {
    const text = await readFile(UNIT, 'utf8');
    const start = /^ExecStart=(\S+) (.*)$/m.exec(text);
    const post = /^ExecStopPost=(\S+) cleanup (.*)$/m.exec(text);
    expect(post?.[1]).toBe(start?.[1]);
    expect(post?.[2]).toBe(start?.[2]);
    expect(start?.[2]).toMatch(/\$FLOATD_OPTS$/);
  });

  it('keeps what the agent and root hooks need: no capability or mount-namespace restriction, no W^X for V8', async () => {
    const text = await readFile(UNIT, 'utf8');
    const set = text.split('\n').filter((l) => /^[A-Z]\w+=/.test(l)).map((l) => l.slice(0, l.indexOf('=')));
    for (const key of ['User', 'CapabilityBoundingSet', 'NoNewPrivileges', 'MemoryDenyWriteExecute', 'ProtectSystem', 'ProtectHome', 'PrivateTmp', 'PrivateDevices', 'ProtectHostname', 'PrivateNetwork']) expect(set, key).not.toContain(key);
    expect(/^RestrictAddressFamilies=(.*)$/m.exec(text)?.[1]?.split(' ')).toEqual(expect.arrayContaining(['AF_INET', 'AF_NETLINK', 'AF_PACKET', 'AF_UNIX']));
  });
});
