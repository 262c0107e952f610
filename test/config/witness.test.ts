// `floatd witness`: the agent's flags without a VIP or hooks; bad input names the flag and quotes the value.
import { describe, expect, it } from 'vitest';
import type { RawOptions } from '../../src/config/options.js';
import { problemsOf } from './problems.js';
import { validateWitness } from '../../src/config/witness.js';

const base: RawOptions = { interface: 'eth0', srcip: '10.0.0.3', vhid: '10', passfile: '/etc/floatd/key', peer: ['10.0.0.1', '10.0.0.2'] };
const problems = problemsOf((raw) => validateWitness(raw), base);

describe('floatd witness', () => {
  it('is a voter with presence, no VIP (0.0.0.0), no down hooks at start, and a recorded VIP driver', () => {
    const c = validateWitness(base);
    expect(c).toMatchObject({ witness: true, vip: '0.0.0.0', neutral: true, vipDriver: 'record' });
    expect(c.cluster).toMatchObject({ voters: 3, quorum: 2, presence: true });
  });

  it.each([
    [{ addr: '10.0.0.99' }, 'floatd witness holds no VIP and runs no hooks: --addr is not for it, got "10.0.0.99"'],
    [{ 'hooks-dir': '/etc/floatd/hooks' }, 'floatd witness holds no VIP and runs no hooks: --hooks-dir is not for it, got "/etc/floatd/hooks"'],
    [{ upscript: '/bin/up' }, 'floatd witness holds no VIP and runs no hooks: --upscript is not for it, got "/bin/up"'],
    [{ 'takeover-check': ['/bin/a', '/bin/b'] }, 'floatd witness holds no VIP and runs no hooks: --takeover-check is not for it, got "/bin/a /bin/b"'],
    [{ presence: 'off' }, '--presence must be on for a witness (its vote rides in it), got "off"'],
  ] as [RawOptions, string][])('%j is refused', (raw, message) => {
    expect(problems(raw)).toContain(message);
  });

  it('reports the agent flags\' own problems too, all at once', () => {
    expect(problems({ vhid: '0', addr: '10.0.0.99' })).toEqual(['floatd witness holds no VIP and runs no hooks: --addr is not for it, got "10.0.0.99"', '--vhid must be an integer from 1 to 255, got "0"']);
  });
});
