// floatd-kernel-helper itself (src/net/kernel-helper.c, built into dist/ by `npm run build`), spoken to
// over its line protocol as the channel does, without a namespace: a dump of the addresses, requests the
// kernel refuses or never answers, bad lines, frames on lo, signals, the end of its input and the death of
// its parent. Root (its packet socket needs CAP_NET_RAW); nothing here changes an address.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { garpFrame } from '../../src/net/announce-frames.js';
import { checkAnswer, decodeAck, decodeAddressDump, encodeAddressDump } from '../../src/net/netlink.js';

const HELPER = resolve('dist/floatd-kernel-helper');
const isRoot = process.getuid?.() === 0 || process.env.CI === 'true';

let started: ChildProcess[] = [];
afterEach(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  started = [];
});

// The helper on pipes, and its stdout one line at a time. Link events (`E …` lines) come unasked whenever an
// interface changes on this machine (other tests make and delete them): an answer is the next other line.
function helper(): { child: ChildProcess; next: () => Promise<string>; ask: (line: string) => Promise<string> } {
  const child = spawn(HELPER, [], { stdio: ['pipe', 'pipe', 'pipe'] });
  started.push(child);
  const queue: string[] = [];
  const waiting: ((l: string) => void)[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (l) => (waiting.length ? waiting.shift()?.(l) : queue.push(l)));
  const next = () => new Promise<string>((r) => (queue.length ? r(queue.shift() as string) : waiting.push(r)));
  const answer = async (): Promise<string> => {
    for (;;) {
      const l = await next();
      if (!/^E!? /.test(l)) return l;
    }
  };
  const ask = (line: string) => {
    child.stdin?.write(`${line}\n`);
    return answer();
  };
  return { child, next, ask };
}

const message = (type: number, flags: number, seq: number, body = Buffer.alloc(0)): Buffer => {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(16 + body.length, 0);
  b.writeUInt16LE(type, 4);
  b.writeUInt16LE(flags, 6);
  b.writeUInt32LE(seq, 8);
  return Buffer.concat([b, body]);
};
const exited = (c: ChildProcess) => new Promise<number | null>((r) => (c.exitCode !== null ? r(c.exitCode) : c.once('exit', (code) => r(code))));

describe.skipIf(!isRoot)('floatd-kernel-helper', () => {
  it('says R, and answers a dump with the messages of that request only, up to NLMSG_DONE', async () => {
    const h = helper();
    expect(await h.next()).toBe('R');
    const answer = await h.ask(`N ${encodeAddressDump(4242).toString('hex')}`);
    expect(answer).toMatch(/^N [0-9a-f]+$/);
    const bytes = Buffer.from(answer.slice(2), 'hex');
    expect(() => checkAnswer(bytes, 4242)).not.toThrow();
    expect(decodeAddressDump(bytes)).toContainEqual({ ifindex: 1, address: '127.0.0.1', prefixLen: 8 });
  });

  it("with an error, the kernel's reason in words (NETLINK_EXT_ACK)", async () => {
    const h = helper();
    await h.next();
    // RTM_NEWADDR of 198.51.100.1/32 on an interface index that does not exist: refused, nothing changes.
    const ifa = Buffer.from([2, 32, 0, 0, 0xff, 0xff, 0xff, 0x7f]);
    const a = (t: number) => Buffer.from([8, 0, t, 0, 198, 51, 100, 1]);
    const answer = await h.ask(`N ${message(20, 0x605, 77, Buffer.concat([ifa, a(2), a(1)])).toString('hex')}`);
    const bytes = Buffer.from(answer.slice(2), 'hex');
    expect(() => checkAnswer(bytes, 77)).not.toThrow();
    const ack = decodeAck(bytes);
    expect(ack.errno).toBe(19);
    expect(ack.message).toMatch(/device not found/i);
  });

  it('a request the kernel never answers gets an error within its 500 ms, and the next request is answered', async () => {
    const h = helper();
    await h.next();
    // NLMSG_NOOP without NLM_F_ACK: the kernel takes it and says nothing.
    const t0 = performance.now();
    expect(await h.ask(`N ${message(1, 0x1, 9).toString('hex')}`)).toBe('N! no answer from the kernel within 500 ms');
    // Bounded, not blocked until killed: the 500 ms are the helper's; the rest is slack for a busy machine.
    expect(performance.now() - t0).toBeLessThan(2500);
    // NLMSG_NOOP with NLM_F_ACK: acknowledged, with its own sequence number.
    const answer = await h.ask(`N ${message(1, 0x5, 10).toString('hex')}`);
    expect(answer, answer).toMatch(/^N [0-9a-f]+$/);
    expect(decodeAck(Buffer.from(answer.slice(2), 'hex'))).toEqual({ errno: 0 });
  });

  it('answers a bad line with an error and carries on', async () => {
    const h = helper();
    await h.next();
    expect(await h.ask('N zz')).toBe('N! request is not hex');
    expect(await h.ask('N 00')).toBe('N! request shorter than a netlink header (1 bytes)');
    expect(await h.ask(`N ${message(1, 0x5, 1).toString('hex')}00000000`)).toBe('N! request of 20 bytes says it has 16');
    expect(await h.ask('Q 1 2')).toBe('X! unknown request');
    expect(await h.ask('')).toBe('X! unknown request');
    expect(await h.ask('P 0 00')).toBe('P! bad interface index');
    expect(await h.ask('P 1 0011')).toBe('P! frame shorter than an Ethernet header');
    // A gratuitous ARP out of lo (ifindex 1) leaves.
    expect(await h.ask(`P 1 ${garpFrame('request', '00:00:00:00:00:00', '127.0.0.1').toString('hex')}`)).toBe('P');
  });

  it('ignores INT, TERM and HUP, ends at the end of its input, and is named floatd-kernel-helper', async () => {
    const h = helper();
    await h.next();
    const pid = h.child.pid as number;
    expect(readFileSync(`/proc/${pid}/comm`, 'latin1').trim()).toBe('floatd-kernel-h'); // comm holds 15 characters
    expect(readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0')[0]).toBe(HELPER);
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.kill(pid, s);
    expect(await h.ask('Q')).toBe('X! unknown request');
    h.child.stdin?.end();
    expect(await exited(h.child)).toBe(0);
  });

  it('dies with its parent while its input is still open (PR_SET_PDEATHSIG)', async () => {
    // The shell starts the helper on a FIFO opened for reading and writing (its input never ends: only the
    // parent's death can stop it), prints its pid and waits. Node closes a child's stdin when it exits, so
    // the helper cannot share the shell's.
    const dir = await mkdtemp(join(tmpdir(), 'floatd-kh-'));
    const sh = spawn('sh', ['-c', `mkfifo "${dir}/in" && "${HELPER}" <>"${dir}/in" >/dev/null & echo $!; wait`], { stdio: ['pipe', 'pipe', 'inherit'] });
    started.push(sh);
    const pid = Number(await new Promise<string>((r) => createInterface({ input: sh.stdout as NodeJS.ReadableStream }).once('line', r)));
    const alive = () => {
      try {
        return !/^\d+ \([^)]*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
      } catch {
        return false;
      }
    };
    await new Promise((r) => setTimeout(r, 100));
    expect(alive()).toBe(true);
    sh.kill('SIGKILL');
    for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 10));
    const survived = alive();
    if (survived) process.kill(pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
    expect(survived).toBe(false);
  });
});
