// The takeover gate uses the view: a backup that missed its master's resign learns of
// it from the voters that heard it, and claims as after a resign: soon, without probes or fencing.
import { describe, expect, it } from 'vitest';
import { step, type Settings, type State } from '../../src/election/machine.js';
import type { Presence } from '../../src/protocol/presence.js';
import { advert, backupState, hear, settings, TICK } from './helpers.js';

const MASTER = '10.0.0.1';
const self = (quorum: number, voters = 3): Settings =>
  settings({ self: '10.0.0.9', advskew: 10, advbaseMs: 100, takeoverCheck: true, fence: true, cluster: { incarnation: 9, voters, quorum, witness: false } });

const presence = (over: Partial<Presence> = {}): Presence => ({
  role: 'backup',
  eligible: true,
  voter: true,
  witness: false,
  preempt: false,
  released: false,
  deadratio: 3,
  incarnation: 1,
  beat: 1,
  dataVersion: undefined,
  versionFailing: false,
  supports: undefined,
  supportIncarnation: 0,
  echo: 0,
  ...over,
});

// A backup following MASTER (epoch 5), then hearing each reporter's presence at 200 ms.
function following(cfg: Settings, reports: { from: string; epoch: number; released: boolean }[]): State {
  let s = backupState(cfg, 0, 4);
  s = step(cfg, s, hear(advert({ sender: MASTER, epoch: 5, advbaseMs: 100, presence: presence({ role: 'master', supports: MASTER, incarnation: 1 }) })), 100).state;
  for (const [i, r] of reports.entries()) {
    s = step(cfg, s, hear(advert({ type: 'presence', sender: r.from, epoch: r.epoch, advbaseMs: 100, advskew: 50, seq: BigInt(i + 2), presence: presence({ released: r.released, incarnation: 2 + i }) })), 200).state;
  }
  return s;
}

describe('a backup that missed the resign', () => {
  it('takes the release another voter heard as a resign: it claims after the resign delay, told "resigned", no fencing', () => {
    const cfg = self(0);
    const s = following(cfg, [{ from: '10.0.0.2', epoch: 5, released: true }]);
    expect(s.master).toMatchObject({ address: MASTER, resigned: true });
    const due = 200 + 10 * 2;
    expect(s.masterDownAt).toBeCloseTo(due);
    const r = step(cfg, s, TICK, due);
    const check = r.effects.find((e) => e.kind === 'check');
    expect(check).toMatchObject({ claim: 'resigned' });
    expect(check).not.toHaveProperty('fence');
  });

  it('ignores a report about another mastership (an older epoch): the master went silent, so it probes and fences', () => {
    const cfg = self(0);
    const s = following(cfg, [{ from: '10.0.0.2', epoch: 4, released: true }]);
    expect(s.master?.resigned).toBe(false);
    const r = step(cfg, s, TICK, s.masterDownAt ?? Infinity);
    expect(r.effects.find((e) => e.kind === 'check')).toMatchObject({ claim: 'silent', fence: { target: MASTER } });
  });

  it('ignores a voter that did not hear the resign', () => {
    const s = following(self(0), [{ from: '10.0.0.2', epoch: 5, released: false }]);
    expect(s.master?.resigned).toBe(false);
  });

  it('with a quorum of 3 of 5 needs the master and two reports', () => {
    const cfg = self(3, 5);
    expect(following(cfg, [{ from: '10.0.0.2', epoch: 5, released: true }]).master?.resigned).toBe(false);
    const both = following(cfg, [
      { from: '10.0.0.2', epoch: 5, released: true },
      { from: '10.0.0.3', epoch: 5, released: true },
    ]);
    expect(both.master?.resigned).toBe(true);
    // Its support of the master ends as a resign ends it.
    expect(both.view.support?.address).not.toBe(MASTER);
  });
});

describe('presence of a backup', () => {
  it('carries the epoch of the master it follows, and `released` once that master resigned', () => {
    const cfg = self(0);
    const s = following(cfg, [{ from: '10.0.0.2', epoch: 5, released: true }]);
    // Its next presence: due at its advert interval.
    const r = step(cfg, s, TICK, 10_000);
    const send = r.effects.find((e) => e.kind === 'send' && e.type === 'presence');
    expect(send).toMatchObject({ epoch: 5 });
  });
});
