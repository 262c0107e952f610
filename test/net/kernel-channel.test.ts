// The kernel channel's side of the helper's line protocol (src/net/kernel-helper.ts), against a fake
// helper (test/fixtures/net/fake-helper.mjs) that answers rightly, out of step or not at all: no root, no
// sockets. Interface `lo` exists everywhere, so the channel finds its index and MAC in sysfs.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ChannelDown, openKernelChannel, type KernelChannel } from '../../src/net/kernel-channel.js';
import { HELPER_ENV, helperCandidates, helperCommand, INSTALLED_HELPER } from '../../src/net/kernel-helper.js';

const FAKE = resolve('test/fixtures/net/fake-helper.mjs');
const VIP = '198.51.100.100';

interface Line {
  level: number;
  msg: string;
  event?: string;
  up?: boolean;
  permanent?: boolean;
}

let open: KernelChannel[] = [];
afterEach(() => {
  for (const c of open) c.close();
  open = [];
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
function channel(command: string[]): { ch: KernelChannel; lines: Line[]; warnings: () => Line[]; opened: (n?: number) => Promise<void> } {
  const lines: Line[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => lines.push(JSON.parse(s) as Line) });
  const ch = openKernelChannel(log, { command });
  open.push(ch);
  const opens = () => lines.filter((l) => l.event === 'kernel-channel' && l.up === true).length;
  const opened = async (n = 1) => {
    for (let i = 0; i < 500 && opens() < n; i++) await sleep(10);
    expect(opens()).toBeGreaterThanOrEqual(n);
  };
  return { ch, lines, warnings: () => lines.filter((l) => l.level === 40), opened };
}
const fake = (mode: string) => channel([process.execPath, FAKE, mode]);
const gone = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
};

describe('kernel channel against a helper that answers in step', () => {
  it('reads the acknowledgement, the dump and the frames sent', async () => {
    const { ch, opened, warnings } = fake('ok');
    await opened();
    expect(await ch.add('lo', VIP, 32)).toEqual({ errno: 0 });
    expect(await ch.add('lo', VIP, 32, { announce: true })).toEqual({ errno: 0 });
    expect(await ch.remove('lo', VIP, 32)).toEqual({ errno: 0 });
    await expect(ch.announce('lo', VIP)).resolves.toBeUndefined();
    expect(warnings()).toEqual([]);
  });

  it('lists the addresses of a dump that ends with NLMSG_DONE', async () => {
    const { ch, opened } = fake('dump');
    await opened();
    expect(await ch.list('lo')).toEqual([{ ifindex: 1, address: '198.51.100.7', prefixLen: 24 }]);
  });

  it("returns the kernel's reason in words with an error (NETLINK_EXT_ACK)", async () => {
    const { ch, opened } = fake('extack');
    await opened();
    expect(await ch.add('lo', VIP, 32)).toEqual({ errno: 19, message: 'ipv4: Device not found' });
  });
});

describe('kernel channel against a helper out of step: the request falls back, the helper is killed and re-opened', () => {
  const outOfStep = async (mode: string, why: RegExp, ask: (ch: KernelChannel) => Promise<unknown>) => {
    const { ch, opened, warnings } = fake(mode);
    await opened();
    const pid = ch.pid as number;
    const err = await ask(ch).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ChannelDown);
    expect((err as ChannelDown).permanent).toBe(false);
    expect((err as Error).message).toMatch(why);
    await opened(2);
    expect(gone(pid)).toBe(true);
    expect(ch.pid).not.toBe(pid);
    expect(warnings().map((l) => l.msg)).toEqual([expect.stringMatching(/^kernel channel down \(helper killed: /)]);
  };

  it('an acknowledgement of another request (its sequence number)', () => outOfStep('seq', /netlink answer for request \d+, expected \d+/, (ch) => ch.add('lo', VIP, 32)));
  it('an acknowledgement cut short', () => outOfStep('truncated', /malformed netlink message/, (ch) => ch.remove('lo', VIP, 32)));
  it('an answer that is not hex', () => outOfStep('malformed', /helper answered "N zz" to a N request/, (ch) => ch.add('lo', VIP, 32)));
  it('no answer at all', () => outOfStep('hang', /no answer within 1000 ms/, (ch) => ch.add('lo', VIP, 32)));
  it('half an answer, and then nothing', () => outOfStep('partial', /no answer within 1000 ms/, (ch) => ch.list('lo')));

  it('answers in the wrong order: neither request takes the other one\'s answer', async () => {
    const { ch, opened } = fake('swap');
    await opened();
    const [list, announce] = await Promise.allSettled([ch.list('lo'), ch.announce('lo', VIP)]);
    expect(list.status === 'rejected' && list.reason).toBeInstanceOf(ChannelDown);
    expect(announce.status === 'rejected' && announce.reason).toBeInstanceOf(ChannelDown);
    expect(list.status === 'rejected' && (list.reason as Error).message).toMatch(/helper answered "P" to a N request/);
  });

  it('an answer nobody asked for', async () => {
    const { opened, warnings } = fake('unasked');
    await opened(2);
    expect(warnings()[0]?.msg).toMatch(/^kernel channel down \(helper killed: helper answered "N 24000000.*" unasked\)/);
  });
});

describe('kernel channel whose helper cannot run: one warning, then ip(8) and arping(8) for good', () => {
  const cannotRun = async (command: string[], why: RegExp) => {
    const { ch, lines, warnings } = channel(command);
    // Long enough for several re-opens had it been retried (100, 200, 400 ms, …).
    await sleep(1200);
    for (const ask of [() => ch.add('lo', VIP, 32), () => ch.remove('lo', VIP, 32), () => ch.announce('lo', VIP)]) {
      const err = await ask().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ChannelDown);
      expect((err as ChannelDown).permanent).toBe(true);
    }
    expect(warnings().map((l) => l.msg)).toEqual([expect.stringMatching(why)]);
    expect(warnings()[0]?.msg).toMatch(/for the life of this agent$/);
    expect(lines.some((l) => l.event === 'kernel-channel' && l.up === true)).toBe(false);
    expect(ch.hearing).toBe(false);
  };

  it('missing (ENOENT)', () => cannotRun(['/nonexistent/floatd-kernel-helper'], /^kernel helper cannot run \(helper could not start \(spawn \/nonexistent\/floatd-kernel-helper ENOENT\)\)/));

  it('not executable (EACCES)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'floatd-kh-'));
    try {
      await writeFile(join(dir, 'floatd-kernel-helper'), '');
      await chmod(join(dir, 'floatd-kernel-helper'), 0o644);
      await cannotRun([join(dir, 'floatd-kernel-helper')], /EACCES/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('its sockets refused (exit 77)', () => cannotRun([process.execPath, FAKE, 'refused'], /helper exited 77: floatd-kernel-helper: packet socket: Operation not permitted/));
});

describe('where the helper is looked for', () => {
  it(`${HELPER_ENV} alone when it is set; else beside the program (dist/), then ${INSTALLED_HELPER}`, () => {
    expect(helperCandidates({ [HELPER_ENV]: '/opt/x/helper' })).toEqual(['/opt/x/helper']);
    // From src/net/ here, as from dist/net/ once built: the folder above this module.
    expect(helperCandidates({})).toEqual([resolve('src/floatd-kernel-helper'), INSTALLED_HELPER]);
    expect(helperCommand({ [HELPER_ENV]: FAKE })).toEqual([FAKE]);
  });
});
