// One vocabulary for IPv4 and IPv6 addresses: which family, their bytes in network order, and the one
// spelling a set of them is compared and hashed in. Pure.
import { isIPv4, ipv4Bytes } from './ipv4.js';
import { formatIPv6, parseIPv6 } from './ipv6.js';

export type Family = 4 | 6;

// 4 or 6, undefined when `s` is neither a dotted quad nor an IPv6 address.
export function familyOf(s: string): Family | undefined {
  if (isIPv4(s)) return 4;
  return parseIPv6(s) === undefined ? undefined : 6;
}

// The address's bytes in network order: 4 for IPv4, 16 for IPv6.
export function addressBytes(s: string): number[] {
  if (isIPv4(s)) return ipv4Bytes(s);
  const v6 = parseIPv6(s);
  if (v6 === undefined) throw new RangeError(`not an IP address: "${s}"`);
  return v6;
}

// The one spelling of an address (RFC 5952 for IPv6), so "2001:DB8:0::1" and "2001:db8::1" are one VIP.
export function canonicalAddress(s: string): string {
  return isIPv4(s) ? s : formatIPv6(addressBytes(s));
}

// Byte-wise in network order, so the result never depends on host byte order; an IPv4 address sorts
// before every IPv6 one (a vhid's nodes share one family, this only makes the order total).
export function compareAddresses(a: string, b: string): number {
  const x = addressBytes(a);
  const y = addressBytes(b);
  if (x.length !== y.length) return Math.sign(x.length - y.length);
  for (let i = 0; i < x.length; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}
