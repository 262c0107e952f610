// Wire version 2's presence block (bytes 32–71 of the signed header, docs/protocol.md): what every node,
// backup included, says about itself and whom it supports, so nodes can form a cluster view. Pure.
import { writeIPv4 } from './ipv4.js';
import { formatIPv6, writeIPv6 } from './ipv6.js';
import { reader } from './reader.js';

// Where the block starts and how long it is; the version-2 header is the version-1 header plus this.
export const PRESENCE_OFFSET = 32;
export const PRESENCE_LENGTH = 40;
// Version 3 (an IPv6 sender): the supported node takes 16 bytes, the block 52.
export const PRESENCE_LENGTH_WIDE = 52;
const NOBODY = '0.0.0.0';
const NOBODY_WIDE = '::';

export type PresenceRole = 'init' | 'backup' | 'master' | 'releasing' | 'stopped';
const ROLE_CODES = { init: 0, backup: 1, master: 2, releasing: 3, stopped: 4 } as const satisfies Record<PresenceRole, number>;

// Flag bits (u16 at offset 6, which version 1 reserves as zero).
const FLAGS = { eligible: 1, voter: 2, witness: 4, versionKnown: 8, versionFailing: 16, preempt: 32, released: 64, prepared: 128 } as const;
const ALL_FLAGS = Object.values(FLAGS).reduce((a, b) => a | b, 0);

export interface Presence {
  role: PresenceRole;
  eligible: boolean; // no bar, no cooldown: it may become master now
  voter: boolean; // counts towards the quorum
  witness: boolean; // a vote only: never claims (floatd witness)
  preempt: boolean; // -P
  released: boolean; // a backup: the master it follows, of this packet's epoch, resigned (it heard the resign)
  prepared?: boolean; // a backup: the master it follows, of this packet's epoch, named it to take over and its prepare hooks passed
  deadratio: number; // its -r: a voter's support for it lasts deadratio × advbase of silence
  incarnation: number; // u32, new at every start of the sender
  beat: number; // the sender's monotonic clock in ms when it sent this (echoed back by its supporters)
  dataVersion: bigint | undefined; // --data-version's last good number (undefined: unknown)
  versionFailing: boolean; // the --data-version command failed or printed garbage at its last run
  supports: string | undefined; // the node this one supports as master, itself included
  supportIncarnation: number; // that node's incarnation …
  echo: number; // … and the latest beat heard from it: its lease is anchored on its own clock
}

// The flags of `p` for offset 6.
export function presenceFlags(p: Presence): number {
  return (
    (p.eligible ? FLAGS.eligible : 0) |
    (p.voter ? FLAGS.voter : 0) |
    (p.witness ? FLAGS.witness : 0) |
    (p.dataVersion !== undefined ? FLAGS.versionKnown : 0) |
    (p.versionFailing ? FLAGS.versionFailing : 0) |
    (p.preempt ? FLAGS.preempt : 0) |
    (p.released ? FLAGS.released : 0) |
    (p.prepared === true ? FLAGS.prepared : 0)
  );
}

// Writes the block at `start` of a header (PRESENCE_OFFSET in version 2); `wide`: 16-byte addresses (version 3).
export function writePresence(b: Buffer, p: Presence, start = PRESENCE_OFFSET, wide = false): void {
  let at = start;
  b.writeUInt8(ROLE_CODES[p.role], at);
  b.writeUInt8(p.deadratio, at + 1);
  b.writeUInt16BE(0, at + 2); // reserved
  b.writeUInt32BE(p.incarnation, (at += 4));
  b.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(p.beat))), (at += 4));
  b.writeBigUInt64BE(p.dataVersion ?? 0n, (at += 8));
  if (wide) writeIPv6(b, (at += 8), p.supports ?? NOBODY_WIDE);
  else writeIPv4(b, (at += 8), p.supports ?? NOBODY);
  b.writeUInt32BE(p.supportIncarnation, (at += wide ? 16 : 4));
  // The echo is a beat of another node: ms of its clock, at most 2^53.
  b.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(p.echo))), at + 4);
}

// Reads the block; `flags` is the u16 at offset 6. Throws a fixed message on anything malformed.
export function readPresence(b: Buffer, flags: number, fail: (msg: string) => never, start = PRESENCE_OFFSET, wide = false): Presence {
  if ((flags & ~ALL_FLAGS) !== 0) fail('reserved bits set');
  const r = reader(b, start);
  const code = r.u8();
  const role = (Object.keys(ROLE_CODES) as PresenceRole[]).find((k) => ROLE_CODES[k] === code);
  if (role === undefined) fail('unknown role');
  const deadratio = r.u8();
  if (deadratio === 0) fail('bad deadratio');
  if (r.u16() !== 0) fail('reserved bits set');
  const incarnation = r.u32();
  const beat = safe(r.u64(), fail);
  const version = r.u64();
  const supportsAt = start + 24;
  const supports = wide ? formatIPv6([...b.subarray(supportsAt, supportsAt + 16)]) : r.ipv4();
  if (wide) r.skip(16);
  const supportIncarnation = r.u32();
  const echo = safe(r.u64(), fail);
  return {
    role,
    eligible: (flags & FLAGS.eligible) !== 0,
    voter: (flags & FLAGS.voter) !== 0,
    witness: (flags & FLAGS.witness) !== 0,
    preempt: (flags & FLAGS.preempt) !== 0,
    released: (flags & FLAGS.released) !== 0,
    ...((flags & FLAGS.prepared) !== 0 ? { prepared: true } : {}),
    deadratio,
    incarnation,
    beat,
    dataVersion: (flags & FLAGS.versionKnown) !== 0 ? version : undefined,
    versionFailing: (flags & FLAGS.versionFailing) !== 0,
    supports: supports === NOBODY || supports === NOBODY_WIDE ? undefined : supports,
    supportIncarnation,
    echo,
  };
}

function safe(n: bigint, fail: (msg: string) => never): number {
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) fail('bad beat');
  return Number(n);
}
