// The UDP transport on real loopback sockets: only verified adverts from peers come out; everything
// else is counted and warned about (rate-limited), and nothing thrown escapes the receive path.
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Advert } from '../../src/protocol/advert.js';
import { sign, Verifier } from '../../src/protocol/auth.js';
import { openTransport, type Transport } from '../../src/net/transport.js';
import { freePort, sendFrom } from '../support/udp.js';

const KEY = Buffer.from('transport-test-key');
const VIP = '127.0.0.100';

function capture() {
  const lines: { level: number; msg: string; drop?: string; suppressed?: number }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]);
      done();
    },
  });
  return { log: pino({ level: 'debug' }, stream), lines };
}

function advert(over: Partial<Advert> = {}): Advert {
  return { type: 'advert', vhid: 9, advskew: 0, advbaseMs: 1000, epoch: 1, seq: 1n, sender: '127.0.0.2', vip: VIP, ...over };
}

// Sends datagrams from a given loopback address, then waits until the transport has read them.
// Collects what the transport yields without blocking the test.
function drain(t: Transport): Advert[] {
  const got: Advert[] = [];
  void (async () => {
    for await (const h of t) got.push(h.advert);
  })();
  return got;
}

describe('Transport (unicast, real loopback sockets)', () => {
  let transport: Transport | undefined;
  afterEach(() => transport?.close());

  async function open(peers = ['127.0.0.2']) {
    const port = await freePort();
    const { log, lines } = capture();
    transport = await openTransport({
      srcip: '127.0.0.1',
      port,
      destination: { kind: 'unicast', peers: peers.map((address) => ({ address, port })) },
      verifier: new Verifier({ key: KEY, vhid: 9, vip: VIP }),
      log,
    });
    return { port, lines, got: drain(transport), t: transport };
  }

  it('yields a verified advert from a peer', async () => {
    const { port, got } = await open();
    await sendFrom('127.0.0.2', port, [sign(advert(), KEY)]);
    expect(got).toEqual([advert()]);
  });

  it('drops adverts from a non-peer, even when correctly signed, and counts them', async () => {
    const { port, got, t } = await open();
    await sendFrom('127.0.0.3', port, [sign(advert({ sender: '127.0.0.3' }), KEY)]);
    expect(got).toEqual([]);
    expect(t.drops.get('not-a-peer')).toBe(1);
  });

  it('drops an advert signed for another sender address than the one it came from', async () => {
    const { port, got, t } = await open(['127.0.0.2', '127.0.0.3']);
    await sendFrom('127.0.0.3', port, [sign(advert({ sender: '127.0.0.2' }), KEY)]);
    expect(got).toEqual([]);
    expect(t.drops.get('address-mismatch')).toBe(1);
  });

  it('ignores its own adverts without a warning', async () => {
    const { port, got, t, lines } = await open(['127.0.0.2', '127.0.0.1']);
    await sendFrom('127.0.0.1', port, [sign(advert({ sender: '127.0.0.1' }), KEY)]);
    expect(got).toEqual([]);
    expect([...t.drops.values()]).toEqual([]);
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
  });

  it('counts wrong key, replay and another vhid, each warned about once per window', async () => {
    const { port, got, t, lines } = await open();
    const good = sign(advert({ seq: 5n }), KEY);
    const forged = Array.from({ length: 200 }, (_, i) => sign(advert({ seq: BigInt(100 + i) }), Buffer.from('wrong')));
    await sendFrom('127.0.0.2', port, [good, good, sign(advert({ vhid: 10, seq: 6n }), KEY), ...forged]);
    expect(got).toHaveLength(1);
    expect(t.drops.get('replay')).toBe(1);
    expect(t.drops.get('wrong-vhid')).toBe(1);
    expect(t.drops.get('bad-hmac')).toBe(200);
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings.filter((w) => w.drop === 'bad-hmac')).toHaveLength(1);
    expect(warnings.map((w) => w.drop).sort()).toEqual(['bad-hmac', 'replay', 'wrong-vhid']);
  });

  it('never yields anything for random datagrams and keeps receiving afterwards', async () => {
    const { port, got, t } = await open();
    const junk = fc.sample(fc.uint8Array({ minLength: 0, maxLength: 200 }), 300).map((a) => Buffer.from(a));
    await sendFrom('127.0.0.2', port, junk);
    expect(got).toEqual([]);
    expect([...t.drops.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(250);
    await sendFrom('127.0.0.2', port, [sign(advert({ seq: 9n }), KEY)]);
    expect(got).toEqual([advert({ seq: 9n })]);
  });

  it('names the flag when --srcip is not an address of this host', async () => {
    const port = await freePort();
    await expect(
      openTransport({ srcip: '198.51.100.250', port, destination: { kind: 'unicast', peers: [] }, verifier: new Verifier({ key: KEY, vhid: 9, vip: VIP }), log: capture().log }),
    ).rejects.toThrow(/cannot bind --srcip 198\.51\.100\.250 with --port \d+: 198\.51\.100\.250 is not an address of this host/);
  });
});
