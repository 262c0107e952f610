// --nodes and --quorum: the voters counted from --peer or --nodes, the default, and bad input naming the flag.
import { describe, expect, it } from 'vitest';
import { validate } from '../../src/config/config.js';
import type { RawOptions } from '../../src/config/options.js';
import { problemsOf } from './problems.js';

const base: RawOptions = { interface: 'eth0', srcip: '10.0.0.1', vhid: '10', addr: '10.0.0.99', passfile: '/etc/floatd/key' };
const peers = (n: number) => Array.from({ length: n }, (_, i) => `10.0.0.${i + 2}`);
const problems = problemsOf((raw) => validate(raw), base);

describe('--quorum auto (the default)', () => {
  it('is a majority once the voters are known and at least 3: two peers', () => {
    expect(validate({ ...base, peer: peers(2) }).cluster).toMatchObject({ voters: 3, quorum: 2, mode: 'auto' });
    expect(validate({ ...base, peer: peers(4) }).cluster).toMatchObject({ voters: 5, quorum: 3 });
  });

  it('is off with 2 voters and no witness, and says the node is NOT partition-safe and why', () => {
    const c = validate({ ...base, peer: peers(1) }).cluster;
    expect(c).toMatchObject({ voters: 2, quorum: 0 });
    expect(c.quorumWhy).toMatch(/^NOT partition-safe: 2 voters and no witness/);
  });

  it('is off with multicast and no --nodes (the voters are unknown), on with --nodes 3', () => {
    expect(validate(base).cluster.quorumWhy).toMatch(/^NOT partition-safe: the voters are unknown/);
    expect(validate({ ...base, nodes: '3' }).cluster).toMatchObject({ voters: 3, quorum: 2 });
    expect(validate({ ...base, nodes: '3' }).cluster.quorumWhy).toMatch(/^partition-safe: a master needs the support of 2 of 3 voters/);
  });
});

describe('bad cluster flags name the flag and quote the value', () => {
  it.each([
    [{ peer: peers(2), nodes: '5' }, '--nodes must count this node and every --peer (3), got "5"'],
    [{ peer: peers(2), quorum: '4' }, '--quorum must not exceed the 3 voters, got "4"'],
    [{ peer: peers(3), quorum: '2' }, '--quorum must be a majority of the 4 voters (more than 2), got "2"'],
    [{ quorum: '2' }, '--quorum needs the voters: list them with --peer or count them with --nodes, got "2" alone'],
    [{ quorum: 'most' }, '--quorum must be auto, off or a number of voters, got "most"'],
    [{ nodes: 'x' }, '--nodes must be an integer from 1 to 255, got "x"'],
    [{ peer: peers(2), deadratio: '2' }, '--deadratio must be at least 3 with a quorum (a master\'s lease must outlast an advert interval), got "2"'],
  ] as [RawOptions, string][])('%j', (raw, message) => {
    expect(problems(raw)).toContain(message);
  });

  it('--quorum off with 3 voters is allowed, and not partition-safe', () => {
    expect(validate({ ...base, peer: peers(2), quorum: 'off' }).cluster.quorumWhy).toMatch(/^NOT partition-safe: --quorum off/);
  });
});

describe('--presence', () => {
  it('auto: on with a quorum, off without one (silent backups, wire version 1, as ucarp)', () => {
    expect(validate({ ...base, peer: peers(2) }).cluster.presence).toBe(true);
    expect(validate({ ...base, peer: peers(1) }).cluster.presence).toBe(false);
    expect(validate({ ...base, peer: peers(1), presence: 'on' }).cluster.presence).toBe(true);
  });

  it('off with a quorum is refused: the votes ride in the presence', () => {
    expect(problems({ peer: peers(2), presence: 'off' })).toContain('--presence must be on with a quorum (the votes ride in it), got "off"');
    expect(problems({ presence: 'sometimes' })).toContain('--presence must be one of auto, on, off, got "sometimes"');
  });
});
