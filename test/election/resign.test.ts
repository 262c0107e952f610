// Resigns only hand over the mastership a backup actually follows (a replayed resign must not cause a failover).
import { describe, expect, it } from 'vitest';
import { nextDeadline, step } from '../../src/election/machine.js';
import { advert, backupState, hear, resignFrom, settings } from './helpers.js';

describe('resign acceptance (replay hardening on top of RFC 5798 §6.4.2)', () => {
  const cfg = settings({ advbaseMs: 1000, deadratio: 3, advskew: 0 });

  it('a freshly started backup that has heard no master ignores a resign', () => {
    const fresh = backupState(cfg, 0);
    const r = step(cfg, fresh, hear(resignFrom({ epoch: 5 })), 100);
    expect(nextDeadline(r.state)).toBe(nextDeadline(fresh));
    expect(r.state.master).toBeUndefined();
  });

  it('a resign from an older epoch than the master it follows is ignored', () => {
    const following = step(cfg, backupState(cfg, 0), hear(advert({ epoch: 4 })), 100).state;
    const r = step(cfg, following, hear(resignFrom({ epoch: 2, seq: 999n })), 200);
    expect(r.state.master?.resigned).toBe(false);
    expect(nextDeadline(r.state)).toBe(100 + 3000);
  });

  it('a resign older than the highest epoch it remembers (restored from the state file) is ignored', () => {
    const restarted = backupState(cfg, 0, 7);
    const following = step(cfg, restarted, hear(advert({ epoch: 7 })), 100).state;
    const r = step(cfg, following, hear(resignFrom({ epoch: 6 })), 200);
    expect(nextDeadline(r.state)).toBe(100 + 3000);
  });

  it('the current master’s resign still hands over at once', () => {
    const following = step(cfg, backupState(cfg, 0), hear(advert({ epoch: 4 })), 100).state;
    const r = step(cfg, following, hear(resignFrom({ epoch: 4 })), 200);
    expect(r.state.master?.resigned).toBe(true);
    expect(nextDeadline(r.state)).toBe(200);
  });
});
