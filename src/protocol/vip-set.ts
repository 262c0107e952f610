// What the signed VIP field (4 bytes, docs/protocol.md) says for a vhid's set of virtual addresses: one
// IPv4 address is itself, byte for byte as before; any other set is a tag, the first 4 bytes of SHA-256
// over the set in one canonical order, so every node configured with the same set signs the same field. Pure.
import { createHash } from 'node:crypto';
import { addressBytes, canonicalAddress, compareAddresses, familyOf } from './address.js';

// The VIP field in the dotted-quad form the codec reads and writes.
export function vipField(vips: readonly string[]): string {
  const [only] = vips;
  if (vips.length === 1 && only !== undefined && familyOf(only) === 4) return only;
  return tagOf(vips);
}

// SHA-256 over each address as (family byte 4|6, its 4 or 16 bytes), in the order of compareAddresses,
// duplicates counted once: the order and spelling of -a do not change the tag.
export function tagOf(vips: readonly string[]): string {
  const set = [...new Set(vips.map(canonicalAddress))].sort(compareAddresses);
  const h = createHash('sha256');
  for (const a of set) h.update(Buffer.from([familyOf(a) ?? 0, ...addressBytes(a)]));
  return [...h.digest().subarray(0, 4)].join('.');
}

// How a log line names a set: the address itself, or the addresses with the tag they sign.
export function describeVips(vips: readonly string[]): string {
  const field = vipField(vips);
  return vips.length === 1 && vips[0] === field ? field : `${vips.join(' ')} (tag ${field})`;
}
