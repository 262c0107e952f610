// --data-version's output: a number from 0 to 2^64−1, or a problem that names what was printed.
import { describe, expect, it } from 'vitest';
import { parseDataVersion } from '../../src/agent/data-version.js';

describe('parseDataVersion', () => {
  it.each([
    ['42\n', 42n],
    ['  7 ', 7n],
    ['18446744073709551615', 2n ** 64n - 1n],
  ])('%j is %s', (out, v) => expect(parseDataVersion(out)).toEqual({ version: v }));

  it.each(['', 'abc', '-1', '1.5', '18446744073709551616', '1 2'])('%j is a problem that quotes it', (out) => {
    const r = parseDataVersion(out);
    expect(r).toEqual({ problem: `printed ${JSON.stringify(out.trim())}, not a number from 0 to 2^64-1` });
  });
});
