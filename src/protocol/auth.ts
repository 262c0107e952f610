// Signing and verification of advertisements (see docs/protocol.md).
// Pure: no sockets, no clocks. The only state is the per-sender replay mark inside a Verifier.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { DecodeError, MAC_LENGTH, decode, encodeHeader } from './advert.js';
import type { Advert } from './advert.js';

// The closed set of verdicts on a received packet (after keepalived's vrrp_check_packet results).
// 'behind' is authentic but below the sender's mark, and newer than any such packet before it: the sender
// restarted with its clock set back or its state lost, or it is the first use of a replayed capture. The
// driver may let it hold this node back (a master exists), never make it master (docs/protocol.md).
export type VerifyOutcome = 'ok' | 'behind' | 'malformed' | 'wrong-vhid' | 'bad-hmac' | 'wrong-vip' | 'stale' | 'replay';

// 'ok' and 'behind' carry the advert; every verdict but 'ok' carries an operator-oriented detail, and the
// advert once decoded.
export type VerifyResult =
  | { outcome: 'ok'; advert: Advert }
  | { outcome: 'behind'; detail: string; advert: Advert }
  | { outcome: Exclude<VerifyOutcome, 'ok' | 'behind'>; detail: string; advert?: Advert };

// One shared key and the id an operator gave it (docs/operations.md: key rotation). The id never goes on
// the wire: a receiver tries each key it accepts (below), so a cluster with one key sends the very bytes it
// always did, and a node that knows only one key reads the adverts of a node in the middle of a rotation as
// long as they are signed with that key.
export interface SigningKey {
  id: string;
  key: Buffer;
}

// The id of the one key of a single-line passfile (or --pass).
export const DEFAULT_KEY_ID = 'default';

// What a witness (floatd witness) signs as its VIP: it holds none.
export const WITNESS_VIP = '0.0.0.0';

// How many senders' replay marks a Verifier keeps; the one heard from least recently is forgotten first.
export const MAX_SENDERS = 1024;

// The full packet (64 bytes in version 1, 104 in version 2): header followed by HMAC-SHA256(key, header).
export function sign(advert: Advert, key: Buffer): Buffer {
  const header = encodeHeader(advert);
  return Buffer.concat([header, mac(key, header)], header.length + MAC_LENGTH);
}

// Checks received packets for one virtual host, cheapest test first as keepalived does, and keeps
// a per-sender replay mark that moves only after the HMAC has passed (keepalived's IPsec-AH seq check).
export class Verifier {
  #keys: SigningKey[];
  readonly #vhid: number;
  readonly #vip: string | undefined; // the VIP field we sign (vip-set.ts); undefined: a witness, which votes whatever it is
  readonly #vipLabel: string; // how the operator wrote it: the addresses of -a
  readonly #maxSenders: number;
  // Highest accepted seq per signed sender address; Map order is least recently accepted first.
  readonly #marks = new Map<string, bigint>();
  // Highest 'behind' seq per sender: a behind packet must beat it, so one captured packet replayed over
  // and over holds nobody back twice, while a restarted sender's rising seqs all pass.
  readonly #behind = new Map<string, bigint>();
  // The id of the key that last verified each sender: tried first, so a good packet costs one HMAC.
  readonly #lastKey = new Map<string, string>();
  // Packets whose HMAC verified, by key id (what an operator watches before retiring a key).
  readonly #verified = new Map<string, number>();

  // `keys`: every key accepted on receipt (trial verification); `key`: one key (id "default").
  constructor(opts: { key?: Buffer; keys?: readonly SigningKey[]; vhid: number; vip: string | undefined; vipLabel?: string; maxSenders?: number }) {
    this.#keys = copyKeys(opts.keys ?? (opts.key === undefined ? [] : [{ id: DEFAULT_KEY_ID, key: opts.key }]));
    if (this.#keys.length === 0) throw new RangeError('a Verifier needs at least one key');
    this.#vhid = opts.vhid;
    this.#vip = opts.vip;
    this.#vipLabel = opts.vipLabel ?? opts.vip ?? '';
    this.#maxSenders = opts.maxSenders ?? MAX_SENDERS;
  }

  // Never throws: anything unexpected is reported as 'malformed'.
  verify(packet: Uint8Array): VerifyResult {
    try {
      return this.#check(packet);
    } catch (err) {
      return { outcome: 'malformed', detail: `undecodable packet: ${errorText(err)}` };
    }
  }

  // A new set of accepted keys (a reload): the replay marks stay, they do not depend on the key.
  setKeys(keys: readonly SigningKey[]): void {
    if (keys.length === 0) throw new RangeError('a Verifier needs at least one key');
    this.#keys = copyKeys(keys);
  }

  // Packets whose HMAC verified since start, by key id.
  verified(): ReadonlyMap<string, number> {
    return this.#verified;
  }

  // The highest seq accepted from this sender, if any is remembered.
  mark(sender: string): bigint | undefined {
    return this.#marks.get(sender);
  }

  #check(packet: Uint8Array): VerifyResult {
    let decoded: ReturnType<typeof decode>;
    try {
      decoded = decode(packet);
    } catch (err) {
      if (err instanceof DecodeError) return { outcome: 'malformed', detail: err.message };
      throw err;
    }
    const { advert, header } = decoded;
    const from = advert.sender;
    if (advert.vhid !== this.#vhid) {
      const detail = `vhid ${advert.vhid} from ${from}, ours is ${this.#vhid} (another virtual host on this network)`;
      return { outcome: 'wrong-vhid', detail, advert };
    }
    const keyId = this.#keyOf(from, header, decoded.mac);
    if (keyId === undefined) {
      const detail = `bad HMAC from ${from}: check vhid, password and virtual IP on both nodes`;
      return { outcome: 'bad-hmac', detail, advert };
    }
    this.#verified.set(keyId, (this.#verified.get(keyId) ?? 0) + 1);
    this.#remember(this.#lastKey, from, keyId);
    // A witness holds no VIP and says 0.0.0.0 in its presence.
    const witness = advert.presence?.witness === true && advert.vip === WITNESS_VIP;
    if (this.#vip !== undefined && advert.vip !== this.#vip && !witness) {
      // A tag of several addresses cannot be read back: the operator compares the -a lists.
      const detail = `virtual IP ${advert.vip} from ${from}, ours is ${this.#vipLabel}: check the virtual IP (every -a) on both nodes`;
      return { outcome: 'wrong-vip', detail, advert };
    }
    const last = this.#marks.get(from);
    if (last !== undefined && advert.seq === last) {
      return { outcome: 'replay', detail: `seq ${advert.seq} from ${from} already accepted (replayed packet)`, advert };
    }
    if (last !== undefined && advert.seq < last) {
      const floor = this.#behind.get(from);
      if (floor === undefined || advert.seq > floor) {
        this.#remember(this.#behind, from, advert.seq);
        const detail =
          `seq ${advert.seq} < last accepted ${last} from ${from}: that node restarted with its clock set back or its` +
          ' state lost (or this is a replay); its adverts can keep this node from promoting, never make it master';
        return { outcome: 'behind', detail, advert };
      }
      const detail =
        `seq ${advert.seq} < last accepted ${last} from ${from}` +
        ' (replayed packet, or that node restarted with its clock set back)';
      return { outcome: 'stale', detail, advert };
    }
    this.#accept(from, advert.seq);
    return { outcome: 'ok', advert };
  }

  // The id of the accepted key whose HMAC matches, trying the sender's last one first. An unauthentic packet
  // costs one HMAC per accepted key (two or three during a rotation), each compared in constant time.
  #keyOf(sender: string, header: Buffer, received: Buffer): string | undefined {
    const last = this.#lastKey.get(sender);
    const ordered = last === undefined ? this.#keys : [...this.#keys.filter((k) => k.id === last), ...this.#keys.filter((k) => k.id !== last)];
    return ordered.find((k) => timingSafeEqual(mac(k.key, header), received))?.id;
  }

  // The behind floor stays when the sender is fresh again, so its old behind packets cannot be replayed.
  #accept(sender: string, seq: bigint): void {
    this.#remember(this.#marks, sender, seq);
  }

  // Moves the sender to the most recent end and forgets the least recent beyond the bound.
  #remember<T>(marks: Map<string, T>, sender: string, seq: T): void {
    marks.delete(sender);
    marks.set(sender, seq);
    while (marks.size > this.#maxSenders) {
      const oldest = marks.keys().next();
      if (oldest.done === true) break;
      marks.delete(oldest.value);
    }
  }
}

function copyKeys(keys: readonly SigningKey[]): SigningKey[] {
  return keys.map((k) => ({ id: k.id, key: Buffer.from(k.key) }));
}

function mac(key: Buffer, header: Buffer): Buffer {
  return createHmac('sha256', key).update(header).digest();
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
