// The advert channel on real loopback sockets (interface lo): a failed send blocks it and is said once;
// an interface with a new index, or none, blocks it until fresh sockets are open; the fresh sockets
// receive, and drop counters survive the re-open.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AdvertChannel } from '../../src/net/advert-channel.js';
import { readIfindex } from '../../src/net/link.js';
import type { Advert } from '../../src/protocol/advert.js';
import { sign, Verifier } from '../../src/protocol/auth.js';
import { freePort, sendFrom } from '../support/udp.js';

const KEY = Buffer.from('channel-test-key');
const VIP = '127.0.0.100';
const LO = readIfindex('lo');

function advert(over: Partial<Advert> = {}): Advert {
  return { type: 'advert', vhid: 9, advskew: 0, advbaseMs: 1000, epoch: 1, seq: 1n, sender: '127.0.0.2', vip: VIP, ...over };
}

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.skipIf(LO === undefined)('AdvertChannel (unicast, real loopback sockets)', () => {
  let channel: AdvertChannel | undefined;
  afterEach(() => channel?.close());

  async function open(peer: string) {
    const port = await freePort();
    const lines: { level: number; msg: string; event?: string; ok?: boolean }[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]);
        done();
      },
    });
    const blocked: (string | undefined)[] = [];
    const got: Advert[] = [];
    channel = new AdvertChannel({
      iface: 'lo',
      srcip: '127.0.0.1',
      port,
      destination: { kind: 'unicast', peers: [{ address: peer, port }] },
      verifier: new Verifier({ key: KEY, vhid: 9, vip: VIP }),
      log: pino({ level: 'debug' }, stream),
      onAdvert: (h) => got.push(h.advert),
      onBlocked: (why) => blocked.push(why),
    });
    await channel.open();
    return { c: channel, port, lines, blocked, got };
  }
  const warnings = (lines: { level: number; msg: string }[]) => lines.filter((l) => l.level >= 40).map((l) => l.msg);

  it('a send that fails blocks the channel with its errno and is said once, however often it fails and is probed', async () => {
    const { c, lines, blocked } = await open('255.255.255.255');
    const packet = sign(advert({ sender: '127.0.0.1' }), KEY);
    c.send(packet);
    c.send(packet);
    await until('blocked', () => blocked.length > 0);
    expect(c.blocked).toBe('cannot send adverts: EACCES');
    // Probes at 250, 500 and 1000 ms all meet the same EACCES.
    await new Promise((r) => setTimeout(r, 1200));
    c.send(packet);
    await new Promise((r) => setTimeout(r, 50));
    expect(blocked).toEqual(['cannot send adverts: EACCES']);
    expect(warnings(lines)).toEqual([expect.stringMatching(/^cannot send adverts to 255\.255\.255\.255:\d+: EACCES \(a prohibit route, or a firewall\); out of the election/)]);
  });

  it('an interface with a new index blocks the channel until fresh sockets are open, and those receive adverts', async () => {
    const { c, port, lines, blocked, got } = await open('127.0.0.2');
    c.interfaceIs(99_999);
    expect(blocked).toEqual(['interface lo was re-created']);
    await until('unblocked', () => blocked.length === 2);
    expect([blocked[1], c.blocked, c.openedOn]).toEqual([undefined, undefined, LO]);
    expect(warnings(lines)).toEqual([`interface lo has a new index 99999 (the advert sockets were opened on ${LO}): re-opening them`]);
    expect(lines.filter((l) => l.event === 'reopen').map((l) => l.msg)).toEqual([`advert sockets re-opened on lo (index ${LO}): adverts can be sent again`]);
    await sendFrom('127.0.0.2', port, [sign(advert(), KEY)]);
    expect(got).toEqual([advert()]);
  });

  it('nothing is retried while the interface is gone; once it is back the channel re-opens', async () => {
    const { c, lines, blocked } = await open('127.0.0.2');
    c.interfaceIs(undefined);
    expect(blocked).toEqual(['interface lo is gone']);
    await new Promise((r) => setTimeout(r, 600));
    expect(lines.filter((l) => l.event === 'reopen')).toEqual([]);
    c.interfaceIs(LO);
    await until('unblocked', () => blocked.length === 2);
    expect(blocked).toEqual(['interface lo is gone', undefined]);
  });

  it('counts drops across a re-open', async () => {
    const { c, port, blocked } = await open('127.0.0.2');
    await sendFrom('127.0.0.2', port, [Buffer.from('junk')]);
    c.interfaceIs(99_999);
    await until('unblocked', () => blocked.length === 2);
    await sendFrom('127.0.0.2', port, [Buffer.from('junk')]);
    expect([...c.drops().values()].reduce((a, b) => a + b, 0)).toBe(2);
  });
});
