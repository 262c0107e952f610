import { describe, expect, it } from 'vitest';
import { addressBytes, canonicalAddress, compareAddresses, familyOf } from '../../src/protocol/address.js';
import { formatIPv6, parseIPv6 } from '../../src/protocol/ipv6.js';

describe('IPv6 text and bytes', () => {
  it.each([
    ['2001:db8::1', '2001:db8::1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['fe80::', 'fe80::'],
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // RFC 5952 §4.2.3: the first of equal runs
    ['2001:db8:1:1:1:1:1:0', '2001:db8:1:1:1:1:1:0'], // a single zero group is not compressed
    ['::ffff:198.51.100.7', '::ffff:c633:6407'],
  ])('%s is written %s', (text, canonical) => expect(canonicalAddress(text)).toBe(canonical));

  it.each(['', ':', '1:2:3:4:5:6:7:8:9', '2001:db8::1::2', 'g::1', '12345::', '2001:db8::1%eth0', '::ffff:1.2.3', '1.2.3.4'])('%j is not an IPv6 address', (s) => expect(parseIPv6(s)).toBeUndefined());

  it('round-trips bytes', () => {
    const b = addressBytes('2001:db8::a:b');
    expect(b).toHaveLength(16);
    expect(formatIPv6(b)).toBe('2001:db8::a:b');
  });

  it('knows the family of either kind and of neither', () => {
    expect(familyOf('10.0.0.1')).toBe(4);
    expect(familyOf('2001:db8::1')).toBe(6);
    expect(familyOf('eth0')).toBeUndefined();
  });

  it('compares byte-wise in network order, IPv4 before IPv6', () => {
    expect(compareAddresses('2001:db8::2', '2001:db8::10')).toBe(-1);
    expect(compareAddresses('2001:db8::1:0', '2001:db8::ffff')).toBe(1);
    expect(compareAddresses('10.0.0.9', '2001:db8::1')).toBe(-1);
    expect(compareAddresses('2001:db8::1', '2001:DB8::1')).toBe(0);
  });
});
