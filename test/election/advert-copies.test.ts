// --advert-copies: a master spreads n adverts over each advert interval; the election timing is unchanged.
import { describe, expect, it } from 'vitest';
import { nextDeadline, step } from '../../src/election/machine.js';
import { TICK, advert, backupState, hear, masterState, sendAdvert, settings } from './helpers.js';

describe('adverts per interval (floatd extension for lossy links)', () => {
  it('a master with two copies sends the second 20 ms after the first, and the next pair one interval after the first', () => {
    const cfg = settings({ advbaseMs: 1000, advskew: 0, advertsPerInterval: 2 });
    const { state, at } = masterState(cfg);
    expect(nextDeadline(state)).toBe(at + 20);
    const copy = step(cfg, state, TICK, at + 20);
    expect(copy.effects).toEqual([sendAdvert(1)]);
    expect(nextDeadline(copy.state)).toBe(at + 1000);
    const next = step(cfg, copy.state, TICK, at + 1000);
    expect(next.effects).toEqual([sendAdvert(1)]);
    expect(nextDeadline(next.state)).toBe(at + 1020);
  });

  it('a late timer does not shift the interval: the next burst is one interval after the last burst began', () => {
    const cfg = settings({ advbaseMs: 1000, advskew: 0, advertsPerInterval: 2 });
    const { state, at } = masterState(cfg);
    const copy = step(cfg, state, TICK, at + 35);
    expect(nextDeadline(copy.state)).toBe(at + 1000);
  });

  it('at very short intervals the copies spread evenly over the interval instead', () => {
    const cfg = settings({ advbaseMs: 10, advskew: 0, advertsPerInterval: 2, deadratio: 3 });
    const { state, at } = masterState(cfg);
    expect(nextDeadline(state)).toBe(at + 5);
  });

  it('one copy is ucarp’s rate: one advert every advbase + advskew/256 s', () => {
    const cfg = settings({ advbaseMs: 1000, advskew: 64, advertsPerInterval: 1 });
    const { state, at } = masterState(cfg);
    expect(nextDeadline(state)).toBe(at + 1250);
  });

  it('a backup’s master-down interval does not depend on how many copies the master sends', () => {
    const two = settings({ advbaseMs: 1000, deadratio: 3, advertsPerInterval: 2 });
    const one = settings({ advbaseMs: 1000, deadratio: 3, advertsPerInterval: 1 });
    const heard = (cfg: typeof two) => nextDeadline(step(cfg, backupState(cfg, 0), hear(advert({ epoch: 1 })), 100).state);
    expect(heard(two)).toBe(3100);
    expect(heard(one)).toBe(3100);
  });
});
