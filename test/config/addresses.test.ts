// -a repeated or as a list, IPv6 VIPs and an IPv6 --srcip: what is accepted, and every bad value
// named with its flag.
import { describe, expect, it } from 'vitest';
import { validate } from '../../src/config/config.js';
import type { RawOptions } from '../../src/config/options.js';
import { problemsOf } from './problems.js';

const BASE: RawOptions = { interface: 'eth0', srcip: '10.0.0.1', vhid: '10', addr: '10.0.0.99', passfile: '/etc/floatd/key' };
const V6: RawOptions = { ...BASE, srcip: '2001:db8::1', addr: '2001:db8::99' };
const accept = (raw: RawOptions, base = BASE) => validate({ ...base, ...raw });
const problems = problemsOf(validate, BASE);
const problems6 = problemsOf(validate, V6);

describe('several addresses under one vhid', () => {
  it('-a repeated and comma lists give every address in order; the first is vip ($2)', () => {
    const c = accept({ addr: ['10.0.0.99,10.0.0.98', '10.0.0.97'] });
    expect(c.vips).toEqual(['10.0.0.99', '10.0.0.98', '10.0.0.97']);
    expect(c.vip).toBe('10.0.0.99');
  });

  it('mixes families under one vhid, IPv6 in its RFC 5952 spelling', () => {
    expect(accept({ addr: ['10.0.0.99', '2001:DB8:0::99'] }).vips).toEqual(['10.0.0.99', '2001:db8::99']);
  });

  it('an address given twice is named with the value that repeats it', () => {
    expect(problems({ addr: ['10.0.0.99', '10.0.0.98,10.0.0.99'] })).toEqual(['--addr gives 10.0.0.99 twice, got "10.0.0.98,10.0.0.99"']);
    expect(problems({ addr: ['2001:db8::99', '2001:DB8::0:99'] })).toEqual(['--addr gives 2001:db8::99 twice, got "2001:DB8::0:99"']);
  });

  it('a bad or empty item is named, quoting it', () => {
    expect(problems({ addr: ['10.0.0.99,nope'] })).toEqual(['--addr must be an IPv4 or IPv6 address such as 10.0.0.1 or 2001:db8::1, got "nope"']);
    expect(problems({ addr: '10.0.0.99,' })).toEqual(['--addr must be an IPv4 or IPv6 address such as 10.0.0.1 or 2001:db8::1, got ""']);
  });

  it('no -a address may be --srcip', () => {
    expect(problems({ addr: ['10.0.0.99', '10.0.0.1'] })).toEqual(['--addr must differ from --srcip, both are "10.0.0.1"']);
  });
});

describe('IPv6', () => {
  it('an IPv6 --srcip sends over IPv6 to ff02::12 by default', () => {
    expect(accept({}, V6)).toMatchObject({ srcip: '2001:db8::1', family: 6, mcast: 'ff02::12', vips: ['2001:db8::99'] });
  });

  it('an IPv6 --srcip may carry IPv4 VIPs, and an IPv4 one IPv6 VIPs', () => {
    expect(accept({ addr: '10.0.0.99' }, V6).vips).toEqual(['10.0.0.99']);
    expect(accept({ addr: '2001:db8::99' }).family).toBe(4);
  });

  it.each(['fe80::1', 'ff02::1', '::', '::1'])('%s is refused as --addr and as --srcip', (a) => {
    expect(problems6({ addr: a })).toEqual([`--addr must be a global or unique-local IPv6 address (not link-local, multicast, :: or ::1), got "${a}"`]);
    expect(problems6({ srcip: a })).toEqual([`--srcip must be a global or unique-local IPv6 address (not link-local, multicast, :: or ::1), got "${a}"`]);
  });

  it('--mcast must be an IPv6 group with an IPv6 --srcip', () => {
    expect(accept({ mcast: 'FF02::1:2' }, V6).mcast).toBe('ff02::1:2');
    expect(problems6({ mcast: '239.1.2.3' })).toEqual(['--mcast must be an IPv6 multicast address (ff00::/8) with an IPv6 --srcip, got "239.1.2.3"']);
    // commander hands over the table's IPv4 default when -m is not given: it means ff02::12 here.
    expect(accept({ mcast: '239.255.5.98' }, V6).mcast).toBe('ff02::12');
  });

  it('peers are IPv6 like --srcip: bare or [address]:port', () => {
    expect(accept({ peer: ['2001:db8::2', '[2001:db8::3]:6000'] }, V6).peers).toEqual([
      { address: '2001:db8::2', port: 5798 },
      { address: '2001:db8::3', port: 6000 },
    ]);
    for (const bad of ['10.0.0.2', '[2001:db8::2]', '2001:db8::2:6000x', '[2001:db8::2]:0']) {
      expect(problems6({ peer: [bad] })).toEqual([`--peer must be an IPv6 address, or [address]:port, like --srcip, got "${bad}"`]);
    }
    expect(problems({ peer: ['2001:db8::2'] })).toEqual(['--peer must be an IPv4 address with an optional :port, got "2001:db8::2"']);
  });

  it('-M has no IPv6 meaning', () => {
    expect(problems6({ nomcast: true })).toEqual(['--nomcast needs an IPv4 --srcip: IPv6 has no broadcast, got --srcip "2001:db8::1" (use multicast or --peer)']);
  });
});
