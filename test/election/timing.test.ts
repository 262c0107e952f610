import { describe, expect, it } from 'vitest';
import {
  advertIntervalMs,
  compareAddresses,
  comparePreference,
  formatMs,
  masterDownIntervalMs,
  resignDelayMs,
  skewMs,
} from '../../src/election/timing.js';
import type { Candidate } from '../../src/election/timing.js';

const candidate = (address: string, advbaseMs = 1000, advskew = 0): Candidate => ({ advbaseMs, advskew, address });

describe('ucarp timing: advskew is counted in 1/256 s for an advbase of 1 s or more', () => {
  it.each([
    [0, 1000, 0],
    [1, 1000, 3.90625],
    [10, 1000, 39.0625],
    [128, 5000, 500],
    [255, 1000, 996.09375],
  ])('advskew %i at advbase %i ms is %f ms', (advskew, advbaseMs, ms) => {
    expect(skewMs(advskew, advbaseMs)).toBe(ms);
  });

  it('below 1 s (floatd only) the unit shrinks with advbase: 1/256 of it, as RFC 5798 scales Skew_Time', () => {
    expect(skewMs(10, 100)).toBe(3.90625);
    expect(skewMs(128, 10)).toBe(5);
  });
});

describe('ucarp timing: a master advertises every advbase + advskew/256 s', () => {
  it.each([
    { advbaseMs: 1000, advskew: 0, interval: 1000 },
    { advbaseMs: 1000, advskew: 10, interval: 1039.0625 },
    { advbaseMs: 100, advskew: 0, interval: 100 },
    { advbaseMs: 100, advskew: 10, interval: 103.90625 },
    { advbaseMs: 512, advskew: 128, interval: 768 },
  ])('advbase $advbaseMs ms, advskew $advskew → every $interval ms', ({ advbaseMs, advskew, interval }) => {
    expect(advertIntervalMs({ advbaseMs, advskew })).toBe(interval);
  });
});

describe('ucarp timing: a backup declares the master dead after deadratio × advbase + advskew/256 s', () => {
  it.each([
    { advbaseMs: 1000, advskew: 0, deadratio: 3, dead: 3000 },
    { advbaseMs: 1000, advskew: 10, deadratio: 3, dead: 3039.0625 },
    { advbaseMs: 100, advskew: 0, deadratio: 3, dead: 300 },
    { advbaseMs: 100, advskew: 10, deadratio: 3, dead: 303.90625 },
    { advbaseMs: 1000, advskew: 0, deadratio: 1, dead: 1000 },
  ])(
    'advbase $advbaseMs ms, advskew $advskew, deadratio $deadratio → $dead ms',
    ({ advbaseMs, advskew, deadratio, dead }) => {
      expect(masterDownIntervalMs({ advbaseMs, advskew }, deadratio)).toBe(dead);
    },
  );

  it('the skew is added once, not multiplied by the dead ratio', () => {
    const c = { advbaseMs: 1000, advskew: 10 };
    expect(masterDownIntervalMs(c, 3) - masterDownIntervalMs(c, 2)).toBe(1000);
  });
});

describe('after a resign a backup waits 2 ms per advskew unit (ordered as RFC 5798 §6.4.2 Skew_Time), never longer than silence', () => {
  it.each([
    [0, 1000, 0],
    [10, 1000, 20],
    [20, 100, 40],
    [255, 1000, 510],
    [20, 10, 30.78125], // -b 0.01: the master-down interval (3 × 10 ms + 20/256 of 10 ms) comes first
  ])('advskew %i at advbase %i ms → %f ms', (advskew, advbaseMs, ms) => {
    expect(resignDelayMs({ advskew, advbaseMs }, 3)).toBe(ms);
  });

  it('the most preferred backup (lowest advskew) moves first, at every advbase', () => {
    for (const advbaseMs of [10, 100, 1000]) {
      expect(resignDelayMs({ advskew: 0, advbaseMs }, 3)).toBeLessThan(resignDelayMs({ advskew: 1, advbaseMs }, 3));
      expect(resignDelayMs({ advskew: 1, advbaseMs }, 3)).toBeLessThan(resignDelayMs({ advskew: 10, advbaseMs }, 3));
    }
  });
});

describe('addresses are compared byte by byte in network order', () => {
  it('10.0.0.2 is higher than 9.255.255.255 (first byte decides)', () => {
    expect(compareAddresses('10.0.0.2', '9.255.255.255')).toBe(1);
    expect(compareAddresses('9.255.255.255', '10.0.0.2')).toBe(-1);
  });

  it('10.0.0.10 is higher than 10.0.0.2 (numeric, not string, comparison)', () => {
    expect(compareAddresses('10.0.0.10', '10.0.0.2')).toBe(1);
    expect(compareAddresses('10.0.0.2', '10.0.0.10')).toBe(-1);
  });

  it('2.0.0.1 is higher than 1.0.0.2 (a little-endian u32 would say the opposite)', () => {
    expect(compareAddresses('2.0.0.1', '1.0.0.2')).toBe(1);
    expect(compareAddresses('1.0.0.2', '2.0.0.1')).toBe(-1);
  });

  it('equal addresses compare equal', () => {
    expect(compareAddresses('10.0.0.1', '10.0.0.1')).toBe(0);
  });

  it('sorting with it gives network order', () => {
    const sorted = ['10.0.0.10', '9.255.255.255', '10.0.0.2', '2.0.0.1', '1.0.0.2', '255.0.0.0'].sort(compareAddresses);
    expect(sorted).toEqual(['1.0.0.2', '2.0.0.1', '9.255.255.255', '10.0.0.2', '10.0.0.10', '255.0.0.0']);
  });

  it('rejects something that is not an IPv4 or IPv6 address, quoting it', () => {
    expect(() => compareAddresses('10.0.0', '10.0.0.1')).toThrow(/not an IP address: "10\.0\.0"/);
    expect(() => compareAddresses('10.0.0.1', '10.0.0.01')).toThrow(RangeError);
  });
});

describe('the shorter interval is preferred; equal intervals go to the higher address', () => {
  it('a lower advskew wins whatever the addresses', () => {
    expect(comparePreference(candidate('1.0.0.1', 1000, 0), candidate('200.0.0.1', 1000, 10))).toBe(-1);
    expect(comparePreference(candidate('200.0.0.1', 1000, 10), candidate('1.0.0.1', 1000, 0))).toBe(1);
  });

  it('a sub-second advbase wins even against a lower advskew, since its skew unit shrinks with it', () => {
    // 500 ms + 255/256 × 500 ms ≈ 998 ms is still faster than 1000 ms.
    expect(comparePreference(candidate('10.0.0.1', 1000, 0), candidate('10.0.0.2', 500, 255))).toBe(1);
    expect(comparePreference(candidate('10.0.0.1', 400, 255), candidate('10.0.0.2', 1000, 0))).toBe(-1);
    expect(comparePreference(candidate('10.0.0.1', 100, 0), candidate('10.0.0.2', 1000, 0))).toBe(-1);
  });

  it('from 1 s up a longer advbase loses even with advskew 0 (ucarp)', () => {
    expect(comparePreference(candidate('10.0.0.1', 1000, 255), candidate('10.0.0.2', 2000, 0))).toBe(-1);
  });

  it.each([
    ['10.0.0.2', '9.255.255.255'],
    ['10.0.0.10', '10.0.0.2'],
    ['2.0.0.1', '1.0.0.2'],
  ])('equal intervals: %s is preferred over %s', (high, low) => {
    expect(comparePreference(candidate(high), candidate(low))).toBe(-1);
    expect(comparePreference(candidate(low), candidate(high))).toBe(1);
  });

  it('equal intervals made of different advbase/advskew pairs still go to the higher address', () => {
    // 512 ms + 128/256 × 512 ms = 768 ms.
    expect(comparePreference(candidate('10.0.0.1', 512, 128), candidate('10.0.0.2', 768, 0))).toBe(1);
    expect(comparePreference(candidate('10.0.0.2', 512, 128), candidate('10.0.0.1', 768, 0))).toBe(-1);
  });

  it('a candidate is neither preferred over nor beaten by itself', () => {
    // -0 or 0: either is "equal" to Array.prototype.sort.
    expect(Math.abs(comparePreference(candidate('10.0.0.1', 1000, 10), candidate('10.0.0.1', 1000, 10)))).toBe(0);
  });
});

describe('formatMs renders durations for log lines', () => {
  it.each([
    [0, '0 ms'],
    [39.0625, '39 ms'],
    [120, '120 ms'],
    [999.4, '999 ms'],
    [1000, '1.0 s'],
    [1500, '1.5 s'],
    [3000, '3.0 s'],
    [10_000, '10.0 s'],
    [1039.0625, '1.039 s'],
    [3039.0625, '3.039 s'],
    [1250, '1.250 s'],
  ])('%f ms → "%s"', (ms, text) => {
    expect(formatMs(ms)).toBe(text);
  });
});
