// IPv6 addresses as the wire carries them: sixteen bytes in network order, and back to the one text form
// of RFC 5952 (lower case, longest zero run compressed), so a set of addresses has one spelling. Pure.
import { isIPv4, ipv4Bytes } from './ipv4.js';

const GROUP = /^[0-9a-fA-F]{1,4}$/;

// The sixteen bytes of an IPv6 address (RFC 4291 §2.2 text forms, an embedded dotted quad included),
// undefined when `s` is not one. A zone ("%eth0") is not part of an address here.
export function parseIPv6(s: string): number[] | undefined {
  if (s.length > 45 || !s.includes(':')) return undefined;
  let text = s;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const quad = text.slice(lastColon + 1);
    if (!isIPv4(quad)) return undefined;
    tail = ipv4Bytes(quad);
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string | undefined) => (part === undefined || part === '' ? [] : part.split(':'));
  const head = groups(halves[0]);
  const rest = groups(halves[1]);
  const all = [...head, ...rest];
  if (!all.every((g) => GROUP.test(g))) return undefined;
  const missing = 8 - all.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const words = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest].map((g) => parseInt(g, 16));
  const bytes = words.flatMap((w) => [w >> 8, w & 0xff]);
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

export function isIPv6(s: string): boolean {
  return parseIPv6(s) !== undefined;
}

// RFC 5952 §4: lower-case hex without leading zeros, the longest run of two or more zero groups (the first
// of equal ones) as "::". Embedded IPv4 is written in hex like any other group.
export function formatIPv6(bytes: readonly number[]): string {
  const words = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0));
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best.len < 2) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.len).join(':')}`;
}

export function writeIPv6(b: Buffer, at: number, s: string): void {
  const bytes = parseIPv6(s);
  if (bytes === undefined) throw new RangeError(`not an IPv6 address: "${s}"`);
  bytes.forEach((byte, i) => b.writeUInt8(byte, at + i));
}
