import { describe, expect, it } from 'vitest';
import { parseListenAddress } from '../../src/config/listen-address.js';
import { validate } from '../../src/config/config.js';

const base = { interface: 'eth0', srcip: '10.0.0.1', vhid: '7', pass: 'secret', addr: ['10.0.0.99'] };

describe('--metrics-listen', () => {
  it('takes IPv4:PORT and [IPv6]:PORT', () => {
    expect(parseListenAddress('--metrics-listen', '127.0.0.1:9798')).toEqual({ host: '127.0.0.1', port: 9798 });
    expect(parseListenAddress('--metrics-listen', '[::1]:9798')).toEqual({ host: '::1', port: 9798 });
    expect(parseListenAddress('--metrics-listen', '0.0.0.0:1')).toEqual({ host: '0.0.0.0', port: 1 });
  });

  it.each(['9798', 'localhost:9798', '127.0.0.1', '127.0.0.1:0', '127.0.0.1:65536', '::1:9798', '[127.0.0.1]:9798', '[::1]', '127.0.0.1:97a8'])('refuses "%s", naming the flag and quoting the value', (bad) => {
    expect(parseListenAddress('--metrics-listen', bad)).toBe(
      `--metrics-listen must be ADDRESS:PORT with an IPv4 address or a bracketed IPv6 one and a port from 1 to 65535 (e.g. 127.0.0.1:9798 or [::1]:9798), got "${bad}"`,
    );
  });

  it('is off by default, and a bad value is a configuration problem', () => {
    expect(validate(base).metricsListen).toBeUndefined();
    expect(validate({ ...base, 'metrics-listen': '127.0.0.1:9798' }).metricsListen).toEqual({ host: '127.0.0.1', port: 9798 });
    expect(() => validate({ ...base, 'metrics-listen': 'nope' })).toThrow(/--metrics-listen must be ADDRESS:PORT .*got "nope"/);
  });
});
