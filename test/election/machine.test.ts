// The election core stepped event by event; every test compares the emitted effects exactly.
// Describe blocks cite the rule of the spec they check.
import { describe, expect, it } from 'vitest';
import { initialState, nextDeadline, step } from '../../src/election/machine.js';
import type { Settings } from '../../src/election/machine.js';
import {
  DEMOTE,
  Node,
  SHUTDOWN,
  START,
  TICK,
  advert,
  backupState,
  deliver,
  demotion,
  exit0,
  hear,
  link,
  masterState,
  promotion,
  release,
  released,
  resigned,
  resignFrom,
  run,
  runSegment,
  serviceOf,
  sendAdvert,
  settings,
  startEffects,
  upComplete,
  upFailed,
} from './helpers.js';

const SILENT_3S = 'no master heard for 3.0 s';

describe('rule 1 — ucarp timing: a master advertises every advbase + advskew/256 s; a backup declares the master dead after deadratio × advbase + advskew/256 s', () => {
  const timings = [
    { advbaseMs: 1000, advskew: 0, dead: 3000, interval: 1000, reason: 'no master heard for 3.0 s' },
    { advbaseMs: 1000, advskew: 10, dead: 3039.0625, interval: 1039.0625, reason: 'no master heard for 3.039 s' },
    { advbaseMs: 100, advskew: 0, dead: 300, interval: 100, reason: 'no master heard for 300 ms' },
  ];

  it.each(timings)(
    'advbase $advbaseMs ms, advskew $advskew: a started backup asks to be ticked $dead ms later and promotes then',
    ({ advbaseMs, advskew, dead, reason }) => {
      const cfg = settings({ advbaseMs, advskew });
      const b = backupState(cfg);
      expect(nextDeadline(b)).toBe(dead);
      expect(run(cfg, [[dead, TICK]], b).last).toEqual(promotion(1, reason, advskew));
    },
  );

  it.each(timings)(
    'advbase $advbaseMs ms, advskew $advskew: a master advertises every $interval ms',
    ({ advbaseMs, advskew, interval }) => {
      const cfg = settings({ advbaseMs, advskew });
      const { state, at } = masterState(cfg);
      expect(nextDeadline(state)).toBe(at + interval);
      const r = run(cfg, [
        [at + interval - 1, TICK],
        [at + interval, TICK],
        [at + 2 * interval, TICK],
      ], state);
      // The adverts carry the skew: what a peer sees is what the machine times itself by.
      expect(r.effects).toEqual([[], [sendAdvert(1, advskew)], [sendAdvert(1, advskew)]]);
      expect(nextDeadline(r.state)).toBe(at + 3 * interval);
    },
  );

  it.each(timings)(
    'advbase $advbaseMs ms, advskew $advskew: a backup that hears an advert asks to be ticked $dead ms after it',
    ({ advbaseMs, advskew, dead }) => {
      const cfg = settings({ advbaseMs, advskew });
      const { state } = run(cfg, [[50, hear(advert({ advbaseMs, advskew }))]], backupState(cfg));
      expect(nextDeadline(state)).toBe(50 + dead);
    },
  );

  it('nextDeadline is undefined before start and after the node stopped', () => {
    const cfg = settings();
    expect(nextDeadline(initialState(0))).toBeUndefined();
    expect(nextDeadline(run(cfg, [[0, START], [10, SHUTDOWN]]).state)).toBeUndefined();
  });

  it('a tick that is not due changes nothing', () => {
    const cfg = settings();
    const b = backupState(cfg);
    expect(run(cfg, [[2999, TICK]], b)).toEqual({ state: b, effects: [[]], last: [] });
    const { state: m, at } = masterState(cfg);
    expect(run(cfg, [[at + 999, TICK]], m)).toEqual({ state: m, effects: [[]], last: [] });
  });

  it('ticks before start change nothing', () => {
    expect(run(settings(), [[5000, TICK]]).last).toEqual([]);
    expect(run(settings(), [[5000, TICK]]).state).toEqual(initialState(0));
  });
});

describe("rule 2 — 'start': INIT → BACKUP; down hooks (dir, then script) then VIP remove; -n skips the down hooks", () => {
  it('start takes INIT to BACKUP, runs the down hooks dir then script, then removes a VIP left by a crashed earlier run', () => {
    const r = run(settings(), [[0, START]]);
    expect(r.last).toEqual(startEffects(0));
    expect(r.last).toEqual([
      { kind: 'hooks', phase: 'down', group: 'dir', epoch: 0, context: { state: 'BACKUP', previous: 'INIT', reason: 'started' } },
      { kind: 'hooks', phase: 'down', group: 'script', epoch: 0, context: { state: 'BACKUP', previous: 'INIT', reason: 'started' } },
      { kind: 'vip', op: 'remove', epoch: 0 },
      { kind: 'hooks', phase: 'released', group: 'dir', epoch: 0, context: { state: 'BACKUP', previous: 'INIT', reason: 'started' } },
    ]);
    expect(r.state.role).toBe('backup');
    expect(r.state.master).toBeUndefined();
  });

  it('with -n (neutral) start runs no down hooks and only removes the VIP', () => {
    const r = run(settings({ neutral: true }), [[0, START]]);
    expect(r.last).toEqual([{ kind: 'vip', op: 'remove', epoch: 0 }]);
    expect(r.state.role).toBe('backup');
  });

  it('start tags its effects with the epoch restored from the state file', () => {
    const r = run(settings(), [[0, START]], initialState(0, 5));
    expect(r.last).toEqual(startEffects(5));
  });

  it('a second start is ignored', () => {
    const cfg = settings();
    const b = backupState(cfg);
    expect(run(cfg, [[10, START]], b)).toEqual({ state: b, effects: [[]], last: [] });
  });
});

describe('rule 3 — a backup promotes after the master-down interval of silence; promotion effects in fixed order; epoch = maxEpochSeen + 1', () => {
  it('a backup promotes on a tick at exactly the master-down deadline: advert, prepare dir, up script, VIP add, GARP, up dir, report up-complete', () => {
    const r = run(settings(), [
      [0, START],
      [3000, TICK],
    ]);
    expect(r.last).toEqual([
      { kind: 'send', type: 'advert', epoch: 1, advskew: 0 },
      { kind: 'hooks', phase: 'prepare', group: 'dir', epoch: 1, context: { state: 'MASTER', previous: 'BACKUP', reason: SILENT_3S } },
      { kind: 'hooks', phase: 'up', group: 'script', epoch: 1, context: { state: 'MASTER', previous: 'BACKUP', reason: SILENT_3S } },
      { kind: 'vip', op: 'add', epoch: 1 },
      { kind: 'garp', epoch: 1 },
      { kind: 'hooks', phase: 'up', group: 'dir', epoch: 1, context: { state: 'MASTER', previous: 'BACKUP', reason: SILENT_3S } },
      { kind: 'report', event: { type: 'up-complete', epoch: 1 } },
    ]);
    expect(r.state).toMatchObject({ role: 'master', epoch: 1, maxEpochSeen: 1, since: 3000, serving: false, reason: SILENT_3S });
    expect(r.state.master).toEqual({ advbaseMs: 1000, advskew: 0, address: '10.0.0.1', epoch: 1, resigned: false });
  });

  it('a tick 1 ms before the master-down deadline does not promote', () => {
    const r = run(settings(), [
      [0, START],
      [2999, TICK],
    ]);
    expect(r.last).toEqual([]);
    expect(r.state.role).toBe('backup');
  });

  it('a backup whose master fell silent names it in the promotion reason', () => {
    const r = run(settings(), [
      [0, START],
      [500, hear(advert())],
      [3500, TICK],
    ]);
    expect(r.last).toEqual(promotion(2, 'master down: no advert from 10.0.0.2 for 3.0 s'));
  });

  it('the new epoch is one more than the highest epoch seen, from the state file or from adverts', () => {
    const cfg = settings();
    expect(run(cfg, [[3000, TICK]], backupState(cfg, 0, 4)).last).toEqual(promotion(5, SILENT_3S));
    const r = run(
      cfg,
      [
        [500, hear(advert({ epoch: 9 }))],
        [3500, TICK],
      ],
      backupState(cfg, 0, 4),
    );
    expect(r.last).toEqual(promotion(10, 'master down: no advert from 10.0.0.2 for 3.0 s'));
    expect(r.state).toMatchObject({ epoch: 10, maxEpochSeen: 10 });
  });

  it('a lower epoch in an advert does not lower maxEpochSeen', () => {
    const cfg = settings();
    const r = run(
      cfg,
      [
        [500, hear(advert({ epoch: 2 }))],
        [3500, TICK],
      ],
      backupState(cfg, 0, 7),
    );
    expect(r.last).toEqual(promotion(8, 'master down: no advert from 10.0.0.2 for 3.0 s'));
  });
});

describe('rule 4 — every valid advert received by a backup resets its master-down timer', () => {
  it('each advert pushes the master-down deadline a full dead interval past it', () => {
    const r = run(settings(), [
      [0, START],
      [1000, hear(advert())],
      [2500, hear(advert())],
      [5000, hear(advert())],
      [5500, TICK], // would have been due at 3000 and at 5500
      [7999, TICK],
      [8000, TICK],
    ]);
    expect(r.effects).toEqual([
      startEffects(0),
      [],
      [],
      [],
      [],
      [],
      promotion(2, 'master down: no advert from 10.0.0.2 for 3.0 s'),
    ]);
  });

  it('an advert from a less preferred master also resets the timer of a backup without --preempt', () => {
    const cfg = settings();
    const { state, last } = run(cfg, [[2000, hear(advert({ advskew: 200 }))]], backupState(cfg));
    expect(last).toEqual([]);
    expect(nextDeadline(state)).toBe(5000);
    expect(state.master).toEqual({ advbaseMs: 1000, advskew: 200, address: '10.0.0.2', epoch: 1, resigned: false });
  });

  it('an advert heard during a cooldown still resets the timer', () => {
    const cfg = settings({ cooldownMs: 1000 });
    const { state } = run(
      cfg,
      [
        [0, DEMOTE],
        [500, hear(advert())],
      ],
      backupState(cfg),
    );
    expect(state.masterDownAt).toBe(3500);
    expect(nextDeadline(state)).toBe(3500);
  });
});

describe('rule 5 — the shorter interval is preferred; equal intervals go to the higher address, compared byte by byte in network order', () => {
  // Two masters at the same epoch: only the less preferred one steps down.
  it.each([
    { self: '9.255.255.255', other: '10.0.0.2', stepsDown: true },
    { self: '10.0.0.2', other: '9.255.255.255', stepsDown: false },
    { self: '10.0.0.2', other: '10.0.0.10', stepsDown: true },
    { self: '10.0.0.10', other: '10.0.0.2', stepsDown: false },
    { self: '1.0.0.2', other: '2.0.0.1', stepsDown: true },
    { self: '2.0.0.1', other: '1.0.0.2', stepsDown: false },
  ])('equal intervals: master $self hearing master $other at the same epoch steps down: $stepsDown', ({ self, other, stepsDown }) => {
    const cfg = settings({ self });
    const { state } = masterState(cfg);
    const r = run(cfg, [[3100, hear(advert({ sender: other, epoch: 1 }))]], state);
    expect(r.last).toEqual(stepsDown ? release(1, `preempted by ${other} (equal interval, higher address)`) : []);
    expect(r.state.role).toBe(stepsDown ? 'releasing' : 'master');
  });

  it('a shorter interval wins over a higher address', () => {
    const cfg = settings({ self: '10.0.0.200', advskew: 10 });
    const { state } = masterState(cfg);
    const r = run(cfg, [[3100, hear(advert({ sender: '10.0.0.2', advskew: 0, epoch: 1 }))]], state);
    expect(r.last).toEqual(release(1, 'preempted by 10.0.0.2 (advskew 0 < 10)'));
  });

  it('a shorter advbase wins over a lower advskew', () => {
    const cfg = settings({ advbaseMs: 1000, advskew: 0 });
    const { state } = masterState(cfg);
    const r = run(cfg, [[3100, hear(advert({ sender: '10.0.0.2', advbaseMs: 500, advskew: 100, epoch: 1 }))]], state);
    // The reason wording is not pinned here (see the report): only that it names the winner.
    expect(r.last).toEqual(release(1, expect.stringContaining('preempted by 10.0.0.2 (')));
    expect(r.state.role).toBe('releasing');
  });
});

describe('rule 6 — with --preempt a backup takes over at once from a strictly slower master (its claim at once, its service once the old master handed over); without it, or at equal intervals, it does not', () => {
  it('a backup with --preempt claims at once from a slower master and waits for it to hand over', () => {
    const cfg = settings({ preempt: true });
    const r = run(cfg, [[500, hear(advert({ advskew: 10, epoch: 3 }))]], backupState(cfg));
    expect(r.last).toEqual([sendAdvert(4)]);
    expect(r.state).toMatchObject({ role: 'master', epoch: 4, nextAdvertAt: 1500, masterDownAt: undefined, handover: { from: '10.0.0.2', reason: 'preempting 10.0.0.2 (interval 1.0 s < 1.039 s)' } });
  });

  it('a backup with --preempt takes over from a master with a longer advbase', () => {
    const cfg = settings({ preempt: true, advbaseMs: 500 });
    const r = run(cfg, [[500, hear(advert({ advbaseMs: 1000 }))]], backupState(cfg));
    expect(r.last).toEqual([sendAdvert(2)]);
    expect(r.state.handover?.reason).toBe('preempting 10.0.0.2 (interval 500 ms < 1.0 s)');
  });

  it('a backup without --preempt follows a slower master', () => {
    const cfg = settings({ preempt: false });
    const r = run(cfg, [[500, hear(advert({ advskew: 10 }))]], backupState(cfg));
    expect(r.last).toEqual([]);
    expect(r.state.role).toBe('backup');
    expect(nextDeadline(r.state)).toBe(3500);
  });

  it('a backup with --preempt does not take over from a master with an equal interval, even with a higher address', () => {
    const cfg = settings({ preempt: true, self: '10.0.0.200' });
    const r = run(cfg, [[500, hear(advert({ sender: '10.0.0.2' }))]], backupState(cfg));
    expect(r.last).toEqual([]);
    expect(r.state.role).toBe('backup');
  });

  it('a backup with --preempt does not take over from a faster master', () => {
    const cfg = settings({ preempt: true, advskew: 10 });
    const r = run(cfg, [[500, hear(advert({ advskew: 0 }))]], backupState(cfg));
    expect(r.last).toEqual([]);
    expect(r.state.role).toBe('backup');
  });
});

describe('rule 7 — ucarp: a backup treats a master whose advert interval exceeds its own dead interval as down at once', () => {
  it('a backup takes over at once from a master advertising every 4 s when its own dead interval is 3 s', () => {
    const cfg = settings();
    const r = run(cfg, [[500, hear(advert({ advbaseMs: 4000 }))]], backupState(cfg));
    expect(r.last).toEqual([sendAdvert(2)]);
    expect(r.state.handover?.reason).toBe('master 10.0.0.2 advertises every 4.0 s, beyond our dead interval 3.0 s');
  });

  it('with a sub-second advbase a backup takes over at once from a master advertising every second', () => {
    const cfg = settings({ advbaseMs: 100 });
    const r = run(cfg, [[50, hear(advert({ advbaseMs: 1000 }))]], backupState(cfg));
    expect(r.last).toEqual([sendAdvert(2)]);
    expect(r.state.handover?.reason).toBe('master 10.0.0.2 advertises every 1.0 s, beyond our dead interval 300 ms');
  });

  it('a master advertising exactly at the dead interval is followed, not overtaken', () => {
    const cfg = settings();
    const r = run(cfg, [[500, hear(advert({ advbaseMs: 3000 }))]], backupState(cfg));
    expect(r.last).toEqual([]);
    expect(r.state.role).toBe('backup');
  });

  it('the skew counts on both sides: 3000 ms + 11/256 s exceeds 3000 ms + 10/256 s', () => {
    const cfg = settings({ advskew: 10 });
    const b = backupState(cfg);
    expect(run(cfg, [[500, hear(advert({ advbaseMs: 3000, advskew: 10 }))]], b).last).toEqual([]);
    const over = run(cfg, [[500, hear(advert({ advbaseMs: 3000, advskew: 11 }))]], b);
    expect(over.last).toEqual([sendAdvert(2, 10)]);
    expect(over.state.handover?.reason).toBe('master 10.0.0.2 advertises every 3.043 s, beyond our dead interval 3.039 s');
  });
});

describe('rule 8 — two masters that hear each other: the higher epoch wins, then preference; the winner emits nothing', () => {
  it('a master that hears a higher epoch releases in order: cancel-up, down hooks dir, down hooks script, VIP remove, then the resign that lets a preempting master start', () => {
    const cfg = settings();
    const { state } = masterState(cfg);
    const r = run(cfg, [[3500, hear(advert({ epoch: 2, advskew: 200 }))]], state);
    const context = { state: 'BACKUP', previous: 'MASTER', reason: 'newer master 10.0.0.2 (epoch 2 > 1)' } as const;
    expect(r.last).toEqual([
      { kind: 'cancel-up' },
      { kind: 'hooks', phase: 'down', group: 'dir', epoch: 1, context },
      { kind: 'hooks', phase: 'down', group: 'script', epoch: 1, context },
      { kind: 'vip', op: 'remove', epoch: 1 },
      { kind: 'report', event: { type: 'released', epoch: 1 } },
    ]);
    expect(r.state).toMatchObject({ role: 'releasing', epoch: 1, maxEpochSeen: 2, serving: false });
    const done = run(cfg, [[3700, released(1)]], r.state);
    expect(done.last).toEqual(resigned(1, 'newer master 10.0.0.2 (epoch 2 > 1)'));
    expect(done.state).toMatchObject({ role: 'backup', nextAdvertAt: undefined });
    expect(nextDeadline(done.state)).toBe(6700);
  });

  it('a master that hears a lower epoch emits nothing, even from a preferred node', () => {
    const cfg = settings({ advskew: 10 });
    const { state } = masterState(cfg, 4);
    expect(state.epoch).toBe(5);
    const r = run(cfg, [[3500, hear(advert({ epoch: 3, advskew: 0, sender: '10.0.0.200' }))]], state);
    expect(r.last).toEqual([]);
    expect(r.state.role).toBe('master');
    expect(r.state.nextAdvertAt).toBe(state.nextAdvertAt);
  });

  it('at equal epochs the less preferred master steps down', () => {
    const cfg = settings({ advskew: 10 });
    const { state } = masterState(cfg);
    const r = run(cfg, [[3500, hear(advert({ epoch: 1, advskew: 0 }))]], state);
    expect(r.last).toEqual(release(1, 'preempted by 10.0.0.2 (advskew 0 < 10)'));
  });

  it('at equal epochs the preferred master emits nothing on hearing the other', () => {
    const cfg = settings({ self: '10.0.0.2' });
    const { state } = masterState(cfg);
    const r = run(cfg, [[3500, hear(advert({ epoch: 1, sender: '10.0.0.1' }))]], state);
    expect(r.last).toEqual([]);
    expect(r.state).toEqual({ ...state });
  });

  it('a master ignores a resign, whatever its epoch', () => {
    const cfg = settings();
    const { state } = masterState(cfg);
    const r = run(cfg, [[3500, hear(resignFrom({ epoch: 9 }))]], state);
    expect(r.last).toEqual([]);
    expect(r.state.role).toBe('master');
  });

  it('a frozen master that comes back steps down to the master elected while it was away', () => {
    const a = new Node(settings({ self: '10.0.0.1' }));
    const b = new Node(settings({ self: '10.0.0.2', advskew: 10 }));
    a.on(START, 0);
    b.on(START, 0);
    runSegment([a, b], 0, 5500); // a promotes at 3000 and advertises at 4000 and 5000; b follows
    expect([a.state.role, b.state.role]).toEqual(['master', 'backup']);

    // a freezes (or is partitioned away): b hears nothing after 5000.
    expect(runSegment([b], 5500, 9000)).toEqual([
      { at: 8039.0625, node: '10.0.0.2', effects: promotion(2, 'master down: no advert from 10.0.0.1 for 3.039 s', 10) },
    ]);

    // a comes back: its stale epoch-1 advert changes nothing on b; b's epoch-2 advert makes a step down.
    // a releases in order (hooks take no time here) and resigns; b, serving already, ignores the resign.
    expect(runSegment([a, b], 9000, 9100)).toEqual([
      { at: 9000, node: '10.0.0.1', effects: [sendAdvert(1)] },
      { at: 9000, node: '10.0.0.2', effects: [] },
      { at: 9078.125, node: '10.0.0.2', effects: [sendAdvert(2, 10)] },
      { at: 9078.125, node: '10.0.0.1', effects: release(1, 'newer master 10.0.0.2 (epoch 2 > 1)') },
      { at: 9078.125, node: '10.0.0.1', effects: resigned(1, 'newer master 10.0.0.2 (epoch 2 > 1)') },
      { at: 9078.125, node: '10.0.0.2', effects: [] },
    ]);
    expect([a.state.role, b.state.role]).toEqual(['backup', 'master']);

    // Without --preempt a stays backup behind the slower b.
    const later = runSegment([a, b], 9100, 20_000);
    expect(later.filter((l) => l.node === '10.0.0.1').every((l) => l.effects.length === 0)).toBe(true);
    expect([a.state.role, b.state.role]).toEqual(['backup', 'master']);
  });

  it('after stepping down, a preferred old master with --preempt re-promotes with a higher epoch on the next advert', () => {
    const a = new Node(settings({ self: '10.0.0.1', preempt: true }));
    const b = new Node(settings({ self: '10.0.0.2', advskew: 10 }));
    a.on(START, 0);
    b.on(START, 0);
    runSegment([a, b], 0, 5500);
    runSegment([b], 5500, 9000); // a frozen; b promotes to epoch 2 at 8039.0625
    expect(runSegment([a, b], 9000, 9100).map((l) => l.effects)).toContainEqual(release(1, 'newer master 10.0.0.2 (epoch 2 > 1)'));
    expect(a.state.role).toBe('backup');

    // b's next advert: a, now a backup with --preempt and a shorter interval, claims epoch 3; b releases in
    // order and resigns, and only then does a start its service.
    const handed = 'preempting 10.0.0.2 (interval 1.0 s < 1.039 s); 10.0.0.2 handed over';
    expect(runSegment([a, b], 9100, 10_200)).toEqual([
      { at: 10_117.1875, node: '10.0.0.2', effects: [sendAdvert(2, 10)] },
      { at: 10_117.1875, node: '10.0.0.1', effects: [sendAdvert(3)] },
      { at: 10_117.1875, node: '10.0.0.2', effects: release(2, 'newer master 10.0.0.1 (epoch 3 > 2)') },
      { at: 10_117.1875, node: '10.0.0.2', effects: resigned(2, 'newer master 10.0.0.1 (epoch 3 > 2)', 'BACKUP', 10) },
      { at: 10_117.1875, node: '10.0.0.1', effects: serviceOf(3, handed) },
    ]);
    expect([a.state.role, a.state.epoch, b.state.role]).toEqual(['master', 3, 'backup']);
  });
});

describe('rule 9 — a resign from the followed master makes a backup promote after only its skew time; a resign from anyone else is ignored', () => {
  it('a backup with advskew 0 promotes immediately after its master resigns', () => {
    const cfg = settings();
    const r = run(
      cfg,
      [
        [1000, hear(advert())],
        [1500, hear(resignFrom())],
      ],
      backupState(cfg),
    );
    expect(r.last).toEqual([]);
    expect(nextDeadline(r.state)).toBe(1500);
    expect(run(cfg, [[1500, TICK]], r.state).last).toEqual(promotion(2, 'master 10.0.0.2 resigned'));
  });

  it('a backup with advskew 10 promotes 20 ms (2 ms per advskew unit) after its master resigns, not before', () => {
    const cfg = settings({ advskew: 10 });
    const r = run(
      cfg,
      [
        [1000, hear(advert())],
        [1500, hear(resignFrom())],
        [1519, TICK],
        [1520, TICK],
      ],
      backupState(cfg),
    );
    expect(r.effects.slice(1)).toEqual([[], [], promotion(2, 'master 10.0.0.2 resigned', 10)]);
  });

  it('a resign from another address is ignored', () => {
    const cfg = settings();
    const following = run(cfg, [[1000, hear(advert())]], backupState(cfg)).state;
    const r = run(
      cfg,
      [
        [1500, hear(resignFrom({ sender: '10.0.0.3' }))],
        [1500, TICK],
        [3999, TICK],
      ],
      following,
    );
    expect(r.effects).toEqual([[], [], []]);
    expect(r.state).toEqual(following);
    expect(nextDeadline(r.state)).toBe(4000);
  });

  it('a resign does not let a backup promote during its cooldown', () => {
    const cfg = settings({ cooldownMs: 5000 });
    const r = run(
      cfg,
      [
        [500, DEMOTE],
        [1000, hear(advert())],
        [1500, hear(resignFrom())],
        [1500, TICK],
        [5499, TICK],
        [5500, TICK],
      ],
      backupState(cfg),
    );
    expect(r.effects).toEqual([[], [], [], [], [], promotion(2, 'master 10.0.0.2 resigned')]);
  });

  it('after a resign the faster backup promotes first and the slower one follows it', () => {
    const fast = new Node(settings({ self: '10.0.0.1', advskew: 0 }));
    const slow = new Node(settings({ self: '10.0.0.2', advskew: 10 }));
    for (const n of [fast, slow]) {
      n.on(START, 0);
      n.on(hear(advert({ sender: '10.0.0.3' })), 1000);
      expect(n.on(hear(resignFrom({ sender: '10.0.0.3' })), 2000)).toEqual([]);
    }
    expect(runSegment([fast, slow], 2000, 2100)).toEqual([
      { at: 2000, node: '10.0.0.1', effects: promotion(2, 'master 10.0.0.3 resigned') },
      { at: 2000, node: '10.0.0.2', effects: [] },
    ]);
    expect(nextDeadline(slow.state)).toBe(5039.0625);
  });
});

describe("rule 10 — up-failed for the current epoch releases the VIP; 'released' resigns; a cooldown keeps the node out", () => {
  const cfg = settings({ cooldownMs: 10_000 });
  const { state: master } = masterState(cfg); // epoch 1, since 3000

  it('a master whose up hook failed starts releasing: cancel-up, down hooks dir, down hooks script, VIP remove, report released', () => {
    const r = run(cfg, [[3100, upFailed(1, 'hooks/10-nginx exited with code 1')]], master);
    const context = { state: 'BACKUP', previous: 'MASTER', reason: 'up hook failed: hooks/10-nginx exited with code 1' } as const;
    expect(r.last).toEqual([
      { kind: 'cancel-up' },
      { kind: 'hooks', phase: 'down', group: 'dir', epoch: 1, context },
      { kind: 'hooks', phase: 'down', group: 'script', epoch: 1, context },
      { kind: 'vip', op: 'remove', epoch: 1 },
      { kind: 'report', event: { type: 'released', epoch: 1 } },
    ]);
    expect(r.state).toMatchObject({ role: 'releasing', epoch: 1, holdUntil: 13_100 });
  });

  it('a releasing node keeps advertising on its ticks while the down hooks run', () => {
    const r = run(
      cfg,
      [
        [3100, upFailed(1)],
        [4000, TICK],
        [4500, TICK],
        [5000, TICK],
      ],
      master,
    );
    expect(r.effects.slice(1)).toEqual([[sendAdvert(1)], [], [sendAdvert(1)]]);
    expect(nextDeadline(r.state)).toBe(6000);
  });

  it("'released' sends the resign and returns to BACKUP, which does not promote before the cooldown ends", () => {
    const r = run(
      cfg,
      [
        [3100, upFailed(1)],
        [4200, released(1)],
      ],
      master,
    );
    expect(r.last).toEqual(resigned(1, 'up hook failed: exit code 1'));
    expect(r.state).toMatchObject({ role: 'backup', master: undefined, nextAdvertAt: undefined });
    expect(nextDeadline(r.state)).toBe(13_100);

    const waiting = run(
      cfg,
      [
        [7200, TICK], // the master-down interval has passed
        [13_099, TICK],
      ],
      r.state,
    );
    expect(waiting.effects).toEqual([[], []]);
    expect(waiting.state.role).toBe('backup');
  });

  it('after the cooldown the node can promote again, with a new epoch', () => {
    const r = run(
      cfg,
      [
        [3100, upFailed(1)],
        [4200, released(1)],
        [13_100, TICK],
      ],
      master,
    );
    expect(r.last).toEqual(promotion(2, SILENT_3S));
  });

  it('a preempting backup in cooldown does not take over from a slower master', () => {
    const pcfg = settings({ preempt: true, cooldownMs: 10_000 });
    const r = run(
      pcfg,
      [
        [3100, upFailed(1)],
        [4200, released(1)],
        [5000, hear(advert({ advskew: 50, epoch: 2 }))],
        [13_200, hear(advert({ advskew: 50, epoch: 2 }))],
      ],
      masterState(pcfg).state,
    );
    expect(r.effects.slice(2)).toEqual([[], [sendAdvert(3)]]);
  });

  it('up-failed with a stale epoch is ignored', () => {
    const { state } = masterState(cfg, 1); // epoch 2
    const r = run(cfg, [[3100, upFailed(1)]], state);
    expect(r.last).toEqual([]);
    expect(r.state).toEqual(state);
  });

  it('up-failed for a backup is ignored', () => {
    const b = backupState(cfg);
    expect(run(cfg, [[100, upFailed(0)]], b)).toEqual({ state: b, effects: [[]], last: [] });
  });

  it('a second up-failed while releasing is ignored', () => {
    const first = run(cfg, [[3100, upFailed(1)]], master).state;
    const r = run(cfg, [[3200, upFailed(1, 'again')]], first);
    expect(r.last).toEqual([]);
    expect(r.state).toEqual(first);
  });

  it("'released' for another epoch, or when not releasing, is ignored", () => {
    const releasing = run(cfg, [[3100, upFailed(1)]], master).state;
    expect(run(cfg, [[3200, released(0)]], releasing).last).toEqual([]);
    expect(run(cfg, [[3200, released(1)]], master).last).toEqual([]);
  });
});

describe('rule 11 — shutdown: with -z release in order then resign and exit; without -z exit at once leaving the VIP', () => {
  it('a master with -z releases on shutdown, advertising while its hooks run, then resigns and exits 0', () => {
    const cfg = settings({ shutdownHooks: true });
    const { state } = masterState(cfg);
    const r = run(
      cfg,
      [
        [3100, SHUTDOWN],
        [4000, TICK],
        [5000, TICK],
        [5100, released(1)],
        [5300, { type: 'tidied' }],
      ],
      state,
    );
    expect(r.effects).toEqual([
      release(1, 'shutdown requested', 'STOPPED'),
      [sendAdvert(1)],
      [sendAdvert(1)],
      resigned(1, 'shutdown complete', 'STOPPED'),
      [exit0],
    ]);
    expect(r.state.role).toBe('stopped');
    expect(nextDeadline(r.state)).toBeUndefined();
  });

  it('a master without -z exits 0 at once: no hooks, VIP left in place', () => {
    const cfg = settings({ shutdownHooks: false });
    const { state } = masterState(cfg);
    const r = run(cfg, [[3100, SHUTDOWN]], state);
    expect(r.last).toEqual([exit0]);
    expect(r.state.role).toBe('stopped');
  });

  it.each([false, true])('a backup exits 0 on shutdown (-z %s)', (shutdownHooks) => {
    const cfg = settings({ shutdownHooks });
    const r = run(cfg, [[100, SHUTDOWN]], backupState(cfg));
    expect(r.last).toEqual([exit0]);
    expect(r.state.role).toBe('stopped');
  });

  it('a node that has not started exits 0 on shutdown', () => {
    const r = run(settings(), [[0, SHUTDOWN]]);
    expect(r.last).toEqual([exit0]);
    expect(r.state.role).toBe('stopped');
  });

  it('a second shutdown while releasing exits at once', () => {
    const cfg = settings({ shutdownHooks: true });
    const r = run(
      cfg,
      [
        [3100, SHUTDOWN],
        [3200, SHUTDOWN],
      ],
      masterState(cfg).state,
    );
    expect(r.last).toEqual([exit0]);
    expect(r.state.role).toBe('stopped');
  });

  it('a shutdown with -z while releasing after a failed up hook waits for the release, then resigns and exits', () => {
    const cfg = settings({ shutdownHooks: true });
    const r = run(
      cfg,
      [
        [3100, upFailed(1)],
        [3200, SHUTDOWN],
        [3300, released(1)],
        [3400, { type: 'tidied' }],
      ],
      masterState(cfg).state,
    );
    expect(r.effects.slice(1)).toEqual([[], resigned(1, 'shutdown complete', 'STOPPED'), [exit0]]);
    expect(r.state.role).toBe('stopped');
  });

  it('a stopped node ignores everything but another shutdown, which exits at once (it may still be tidying up)', () => {
    const cfg = settings();
    const stopped = run(cfg, [[100, SHUTDOWN]], backupState(cfg)).state;
    const r = run(
      cfg,
      [
        [5000, TICK],
        [5000, hear(advert({ advbaseMs: 9000 }))],
        [5000, START],
        [5000, SHUTDOWN],
      ],
      stopped,
    );
    expect(r.effects).toEqual([[], [], [], [exit0]]);
    expect(r.state.role).toBe('stopped');
  });

  it('after an orderly release the node resigns, runs released.d/ and exits only once they are done; a second shutdown meanwhile exits at once', () => {
    const cfg = settings({ shutdownHooks: true });
    const r = run(cfg, [[3100, SHUTDOWN], [3300, released(1)]], masterState(cfg).state);
    expect(r.last).toEqual(resigned(1, 'shutdown complete', 'STOPPED'));
    expect(r.last).not.toContainEqual(exit0);
    expect(run(cfg, [[3400, SHUTDOWN]], r.state).last).toEqual([exit0]);
    expect(run(cfg, [[3400, { type: 'tidied' }]], r.state).last).toEqual([exit0]);
  });
});

describe("rule 12 — 'demote' (SIGUSR2): a master releases with a cooldown; a backup stays out for the cooldown", () => {
  it('a demoted master releases, resigns on released, and stays backup until the cooldown ends', () => {
    const cfg = settings({ cooldownMs: 10_000 });
    const r = run(
      cfg,
      [
        [3100, DEMOTE],
        [4000, TICK],
        [4100, released(1)],
        [7100, TICK],
        [13_099, TICK],
        [13_100, TICK],
      ],
      masterState(cfg).state,
    );
    expect(r.effects).toEqual([
      release(1, 'demoted by SIGUSR2 for 10.0 s'),
      [sendAdvert(1)],
      resigned(1, 'demoted by SIGUSR2 for 10.0 s'),
      [],
      [],
      promotion(2, SILENT_3S),
    ]);
  });

  it('a demoted backup does not promote during the cooldown even when the master is silent', () => {
    const cfg = settings({ cooldownMs: 10_000 });
    const r = run(
      cfg,
      [
        [1000, DEMOTE],
        [3000, TICK],
        [10_999, TICK],
        [11_000, TICK],
      ],
      backupState(cfg),
    );
    expect(r.effects).toEqual([[], [], [], promotion(1, SILENT_3S)]);
  });

  it('a demoted backup with --preempt does not take over from a slower master until the cooldown ends', () => {
    const cfg = settings({ preempt: true, cooldownMs: 10_000 });
    const r = run(
      cfg,
      [
        [1000, DEMOTE],
        [2000, hear(advert({ advskew: 10 }))],
        [11_000, hear(advert({ advskew: 10 }))],
      ],
      backupState(cfg),
    );
    expect(r.effects).toEqual([[], [], [sendAdvert(2)]]);
  });
});

describe('rule 13 — link down (the interface, or adverts that cannot be sent) demotes a master and blocks promotion; link up restarts the master-down timer', () => {
  it('a master whose link goes down demotes (down hooks, VIP remove) and does not promote while the link is down', () => {
    const cfg = settings();
    const r = run(
      cfg,
      [
        [3100, link(false)],
        [10_000, TICK],
        [100_000, TICK],
      ],
      masterState(cfg).state,
    );
    expect(r.effects).toEqual([demotion(1, 'interface is down'), [], []]);
    expect(r.state).toMatchObject({ role: 'backup', bars: { link: expect.any(String) } });
    expect(nextDeadline(r.state)).toBeUndefined();
  });

  it('link up restarts the master-down timer from the moment the link came back', () => {
    const cfg = settings();
    const r = run(
      cfg,
      [
        [3100, link(false)],
        [100_000, link(true)],
        [102_999, TICK],
        [103_000, TICK],
      ],
      masterState(cfg).state,
    );
    expect(r.effects.slice(1)).toEqual([[], [], promotion(2, SILENT_3S)]);
  });

  it('a backup does not promote while its link is down, and its timer restarts on link up', () => {
    const cfg = settings();
    const down = run(
      cfg,
      [
        [1000, link(false)],
        [3000, TICK],
      ],
      backupState(cfg),
    );
    expect(down.effects).toEqual([[], []]);
    expect(nextDeadline(down.state)).toBeUndefined();
    const up = run(cfg, [[5000, link(true)]], down.state);
    expect(up.last).toEqual([]);
    expect(nextDeadline(up.state)).toBe(8000);
  });

  it('a backup with --preempt does not take over while its link is down', () => {
    const cfg = settings({ preempt: true });
    const r = run(
      cfg,
      [
        [1000, link(false)],
        [1500, hear(advert({ advskew: 10 }))],
        [1600, hear(advert({ advbaseMs: 9000 }))],
      ],
      backupState(cfg),
    );
    expect(r.effects).toEqual([[], [], []]);
    expect(r.state.role).toBe('backup');
  });

  it('a master whose adverts cannot be sent demotes in order with the send error as its reason, and does not promote again', () => {
    const cfg = settings();
    const r = run(
      cfg,
      [
        [3100, link(false, 'cannot send adverts: EPERM')],
        [100_000, TICK],
      ],
      masterState(cfg).state,
    );
    expect(r.effects).toEqual([demotion(1, 'cannot send adverts: EPERM'), []]);
    expect(r.state).toMatchObject({ role: 'backup', bars: { link: expect.any(String) }, reason: 'cannot send adverts: EPERM' });
    expect(nextDeadline(r.state)).toBeUndefined();
  });

  it('a claim advert that cannot be sent ends the new mastership at once: the up work is cancelled before the down work', () => {
    const cfg = settings();
    const r = run(
      cfg,
      [
        [0, START],
        [3000, TICK],
        [3000, link(false, 'cannot send adverts: EACCES')],
      ],
      initialState(0),
    );
    expect(r.effects.slice(1)).toEqual([promotion(1, SILENT_3S), demotion(1, 'cannot send adverts: EACCES')]);
    expect(r.state).toMatchObject({ role: 'backup', serving: false, bars: { link: expect.any(String) } });
  });

  it('a releasing master that cannot send any more carries on releasing: its down hooks and VIP removal are queued already', () => {
    const cfg = settings();
    const r = run(
      cfg,
      [
        [3100, DEMOTE],
        [3200, link(false, 'cannot send adverts: ENODEV')],
        [3300, released(1)],
      ],
      masterState(cfg).state,
    );
    expect(r.effects).toEqual([release(1, 'demoted by SIGUSR2 for 10.0 s'), [], resigned(1, 'demoted by SIGUSR2 for 10.0 s')]);
    expect(r.state).toMatchObject({ role: 'backup', bars: { link: expect.any(String) } });
  });

  it('a link event that changes nothing is ignored', () => {
    const cfg = settings();
    const { state } = masterState(cfg);
    expect(run(cfg, [[3100, link(true)]], state)).toEqual({ state, effects: [[]], last: [] });
  });
});

describe('rule 14 — up-complete sets serving only for the current epoch', () => {
  const cfg = settings();

  it('up-complete for the current epoch marks the master as serving, with no effects', () => {
    const r = run(cfg, [[3100, upComplete(1)]], masterState(cfg).state);
    expect(r.last).toEqual([]);
    expect(r.state.serving).toBe(true);
  });

  it('up-complete for an earlier epoch leaves serving false', () => {
    const { state } = masterState(cfg, 1); // epoch 2
    const r = run(cfg, [[3100, upComplete(1)]], state);
    expect(r.last).toEqual([]);
    expect(r.state.serving).toBe(false);
  });

  it('up-complete reaching a node that already stepped down leaves serving false', () => {
    const r = run(
      cfg,
      [
        [3100, hear(advert({ epoch: 2 }))],
        [3200, upComplete(1)],
      ],
      masterState(cfg).state,
    );
    expect(r.effects).toEqual([release(1, 'newer master 10.0.0.2 (epoch 2 > 1)'), []]);
    expect(r.state.serving).toBe(false);
  });

  it('a new promotion starts with serving false', () => {
    const r = run(
      cfg,
      [
        [3100, upComplete(1)],
        [3200, hear(advert({ epoch: 2 }))],
        [3300, released(1)],
        [3400, hear(advert({ epoch: 2 }))],
        [7000, TICK],
      ],
      masterState(cfg).state,
    );
    expect(r.last).toEqual(promotion(3, 'master down: no advert from 10.0.0.2 for 3.0 s'));
    expect(r.state.serving).toBe(false);
  });
});

describe('rule 15 — two backups promoting at once (both epoch 1) resolve to exactly one master once they hear each other', () => {
  const twoBackups = () => {
    const a = new Node(settings({ self: '10.0.0.1' }));
    const b = new Node(settings({ self: '10.0.0.2' }));
    expect(a.on(START, 0)).toEqual(startEffects(0));
    expect(b.on(START, 0)).toEqual(startEffects(0));
    // Both deadlines fall at 3000 and both tick before either advert arrives.
    const fromA = a.on(TICK, 3000);
    const fromB = b.on(TICK, 3000);
    expect(fromA).toEqual(promotion(1, SILENT_3S));
    expect(fromB).toEqual(promotion(1, SILENT_3S));
    return { a, b, fromA, fromB };
  };
  const LOSER_STEPS_DOWN = release(1, 'preempted by 10.0.0.2 (equal interval, higher address)');

  it.each(['a hears b first', 'b hears a first'])(
    'the adverts sent on promotion cross (%s): the lower address steps down, the higher emits nothing',
    (order) => {
      const { a, b, fromA, fromB } = twoBackups();
      const toA = () => expect(deliver(a, b.wire(fromB), 3001)).toEqual([LOSER_STEPS_DOWN]);
      const toB = () => expect(deliver(b, a.wire(fromA), 3001)).toEqual([[]]);
      if (order === 'a hears b first') {
        toA();
        toB();
      } else {
        toB();
        toA();
      }
      expect([a.state.role, b.state.role]).toEqual(['releasing', 'master']);
    },
  );

  it('if the promotion adverts are lost, the next periodic adverts settle it the same way, and it stays settled', () => {
    const { a, b } = twoBackups();
    const nextA = a.on(TICK, 4000);
    const nextB = b.on(TICK, 4000);
    expect([nextA, nextB]).toEqual([[sendAdvert(1)], [sendAdvert(1)]]);
    expect(deliver(b, a.wire(nextA), 4000)).toEqual([[]]);
    expect(deliver(a, b.wire(nextB), 4000)).toEqual([LOSER_STEPS_DOWN]);
    // Its down work done, a resigns; b, the master, ignores it.
    const resign = a.on(released(1), 4000);
    expect(resign).toEqual(resigned(1, 'preempted by 10.0.0.2 (equal interval, higher address)'));
    expect(deliver(b, a.wire(resign), 4000)).toEqual([[]]);

    const log = runSegment([a, b], 4000, 20_000);
    const expected = [];
    for (let at = 5000; at <= 20_000; at += 1000) {
      expected.push({ at, node: '10.0.0.2', effects: [sendAdvert(1)] }, { at, node: '10.0.0.1', effects: [] });
    }
    expect(log).toEqual(expected);
    expect([a.state.role, b.state.role]).toEqual(['backup', 'master']);
  });
});

describe('rule 16 — an advert behind its sender\'s replay mark (clock set back, state lost, or a replay) holds a node back and never makes it master', () => {
  const behind = (a: ReturnType<typeof advert>) => ({ type: 'advert' as const, advert: a, behind: true });

  it('a backup follows a behind advert like any other: it restarts the master-down timer and names that master', () => {
    const cfg = settings();
    const r = run(cfg, [[1000, behind(advert({ sender: '10.0.0.3' }))]], backupState(cfg));
    expect(r.last).toEqual([]);
    expect(r.state).toMatchObject({ role: 'backup', master: { address: '10.0.0.3' } });
    expect(nextDeadline(r.state)).toBe(4000);
  });

  it('a behind advert keeps a backup from promoting for as long as such adverts keep coming', () => {
    const cfg = settings();
    const events: [number, ReturnType<typeof behind> | typeof TICK][] = [];
    for (let at = 1000; at <= 20_000; at += 1000) events.push([at, behind(advert())], [at + 999, TICK]);
    const r = run(cfg, events, backupState(cfg));
    expect(r.effects.flat()).toEqual([]);
    expect(r.state.role).toBe('backup');
  });

  it('with --preempt a backup does not take over from a slower master whose advert is behind', () => {
    const cfg = settings({ preempt: true });
    const r = run(cfg, [[500, behind(advert({ advskew: 10 }))]], backupState(cfg));
    expect(r.last).toEqual([]);
    expect(r.state.role).toBe('backup');
  });

  it('a backup does not take over at once from a behind master advertising beyond its dead interval', () => {
    const cfg = settings();
    const r = run(cfg, [[500, behind(advert({ advbaseMs: 4000 }))]], backupState(cfg));
    expect(r.last).toEqual([]);
    expect(r.state.role).toBe('backup');
  });

  it('a behind resign from the followed master hands nothing over: the backup waits out its master-down interval', () => {
    const cfg = settings();
    const r = run(cfg, [[1000, hear(advert())], [1500, behind(resignFrom())]], backupState(cfg));
    expect(r.last).toEqual([]);
    expect(nextDeadline(r.state)).toBe(4000);
  });

  it('a master steps down for a behind advert that wins (higher epoch, or equal epoch and preferred), as for any advert', () => {
    const cfg = settings({ self: '10.0.0.1' });
    const { state } = masterState(cfg);
    expect(run(cfg, [[5000, behind(advert({ epoch: 2 }))]], state).last).toEqual(release(1, 'newer master 10.0.0.2 (epoch 2 > 1)'));
    expect(run(cfg, [[5000, behind(advert({ epoch: 1 }))]], state).last).toEqual(release(1, 'preempted by 10.0.0.2 (equal interval, higher address)'));
    expect(run(cfg, [[5000, behind(advert({ epoch: 1, sender: '10.0.0.0' }))]], state).last).toEqual([]);
  });

  it('two nodes promoting at once settle on one master though one side sees the other\'s adverts as behind', () => {
    // The scenario of a node restarted with its clock an hour behind: b's adverts are behind at a.
    const a = new Node(settings({ self: '10.0.0.1' }));
    const b = new Node(settings({ self: '10.0.0.2' }));
    a.on(START, 0);
    b.on(START, 0);
    const fromA = a.on(TICK, 3000);
    const fromB = b.on(TICK, 3000);
    const [advertB] = b.wire(fromB);
    expect(a.on({ type: 'advert', advert: advertB!, behind: true }, 3001)).toEqual(release(1, 'preempted by 10.0.0.2 (equal interval, higher address)'));
    expect(deliver(b, a.wire(fromA), 3001)).toEqual([[]]);
    expect([a.state.role, b.state.role]).toEqual(['releasing', 'master']);
  });
});

describe('rule 17 — with --takeover-check a backup asks the checks before it promotes: it sends nothing and adds nothing until they pass; a refusal keeps it out for a growing backoff', () => {
  const cfg = settings({ takeoverCheck: true });
  const CHECK = (epoch: number, reason = SILENT_3S, claim = 'silent') => ({ kind: 'check', epoch, context: { state: 'MASTER', previous: 'BACKUP', reason }, claim });
  const checked = (epoch: number, ok: boolean, detail = ok ? 'passed' : '/x/check exited 1') => ({ type: 'checked' as const, epoch, ok, detail });

  it('at the master-down deadline the backup emits only the check and waits: no advert, no VIP, no hook, no deadline', () => {
    const r = run(cfg, [[0, START], [3000, TICK]]);
    expect(r.last).toEqual([CHECK(1)]);
    expect(r.state).toMatchObject({ role: 'backup', checking: { epoch: 1, reason: SILENT_3S } });
    expect(nextDeadline(r.state)).toBeUndefined();
    expect(run(cfg, [[9000, TICK]], r.state).last).toEqual([]);
  });

  it('a passing check promotes with the usual effects, in order', () => {
    const r = run(cfg, [[0, START], [3000, TICK], [3050, checked(1, true)]]);
    expect(r.last).toEqual(promotion(1, SILENT_3S));
    expect(r.state).toMatchObject({ role: 'master', epoch: 1, checking: undefined, checkFailures: 0 });
  });

  it('a refusal keeps the node BACKUP, says why, and retries after 1 s, 2 s, 4 s … up to 60 s', () => {
    let r = run(cfg, [[0, START], [3000, TICK], [3050, checked(1, false)]]);
    expect(r.last).toEqual([]);
    expect(r.state).toMatchObject({ role: 'backup', checking: undefined, checkFailures: 1 });
    expect(r.state.reason).toBe('takeover check refused (/x/check exited 1): staying BACKUP, next try in 1.0 s');
    expect(nextDeadline(r.state)).toBe(4050);
    let at = 4050;
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      r = run(cfg, [[at, TICK]], r.state);
      expect(r.last).toEqual([CHECK(1)]);
      r = run(cfg, [[at + 10, checked(1, false)]], r.state);
      const due = nextDeadline(r.state) ?? 0;
      waits.push(due - (at + 10));
      at = due;
    }
    expect(waits).toEqual([2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000]);
  });

  it('an advert from a master during the check cancels it; its late verdict is ignored and the backoff starts over', () => {
    const r1 = run(cfg, [[0, START], [3000, TICK], [3050, checked(1, false)], [4050, TICK]]);
    expect(r1.state.checkFailures).toBe(1);
    const r2 = run(cfg, [[4100, hear(advert())]], r1.state);
    expect(r2.last).toEqual([{ kind: 'cancel-up' }]);
    expect(r2.state).toMatchObject({ role: 'backup', checking: undefined, checkFailures: 0, master: { address: '10.0.0.2' } });
    expect(run(cfg, [[4200, checked(1, true)]], r2.state).last).toEqual([]);
    expect(run(cfg, [[4200, checked(1, true)]], r2.state).state.role).toBe('backup');
  });

  it('a behind advert cancels the check too, but does not reset the backoff', () => {
    const r1 = run(cfg, [[0, START], [3000, TICK], [3050, checked(1, false)], [4050, TICK]]);
    const r2 = run(cfg, [[4100, { type: 'advert', advert: advert(), behind: true }]], r1.state);
    expect(r2.last).toEqual([{ kind: 'cancel-up' }]);
    expect(r2.state).toMatchObject({ checking: undefined, checkFailures: 1 });
  });

  it('preemption asks the checks too', () => {
    const pre = settings({ takeoverCheck: true, preempt: true });
    const r = run(pre, [[500, hear(advert({ advskew: 10, epoch: 3 }))]], backupState(pre));
    expect(r.last).toEqual([CHECK(4, 'preempting 10.0.0.2 (interval 1.0 s < 1.039 s)', 'preempt')]);
    expect(r.state.role).toBe('backup');
  });

  it('the link going down, or SIGUSR2, cancels a check under way', () => {
    const checking = run(cfg, [[0, START], [3000, TICK]]).state;
    expect(run(cfg, [[3010, link(false)]], checking).last).toEqual([{ kind: 'cancel-up' }]);
    expect(run(cfg, [[3010, DEMOTE]], checking).last).toEqual([{ kind: 'cancel-up' }]);
    expect(run(cfg, [[3010, DEMOTE]], checking).state.checking).toBeUndefined();
  });

  it('without --takeover-check nothing changes: the backup promotes at once', () => {
    expect(run(settings(), [[0, START], [3000, TICK]]).last).toEqual(promotion(1, SILENT_3S));
  });
});

describe('rule 18 — the machine owns what it advertises and why it may not be master: bars (link, health, standby, failures) and a weight on the advskew', () => {
  const bar = (b: 'health' | 'standby', detail: string) => ({ type: 'bar' as const, bar: b, detail });
  const unbar = (b: 'health' | 'standby') => ({ type: 'unbar' as const, bar: b });

  it('a bar other than the link on a master makes it hand over in order (down hooks, VIP removal, then resign) with the bar\'s detail as its reason; the same bar again changes nothing', () => {
    const cfg = settings();
    const { state } = masterState(cfg);
    const r = run(cfg, [[5000, bar('health', 'health check /x failed 3 times')]], state);
    expect(r.last).toEqual(release(1, 'health check /x failed 3 times'));
    expect(r.state).toMatchObject({ role: 'releasing', bars: { health: 'health check /x failed 3 times' } });
    expect(run(cfg, [[5100, bar('health', 'health check /x failed 3 times')]], r.state).last).toEqual([]);
    const done = run(cfg, [[5200, released(1)]], r.state);
    expect(done.last).toEqual(resigned(1, 'health check /x failed 3 times'));
    expect(done.state).toMatchObject({ role: 'backup', bars: { health: 'health check /x failed 3 times' } });
    expect(nextDeadline(done.state)).toBeUndefined();
  });

  it('standby on a master is a graceful handover too, and the node stays backup until resume', () => {
    const cfg = settings();
    const { state } = masterState(cfg);
    const r = run(cfg, [[5000, bar('standby', 'operator standby')], [5200, released(1)], [60_000, TICK]], state);
    expect(r.effects[0]).toEqual(release(1, 'operator standby'));
    expect(r.state.role).toBe('backup');
    const resumed = run(cfg, [[61_000, unbar('standby')], [64_000, TICK]], r.state);
    expect(resumed.effects[1]).toEqual(promotion(2, SILENT_3S));
  });

  it('a barred backup never promotes; lifting one bar of two keeps it out; lifting the last restarts the master-down interval', () => {
    const cfg = settings();
    let r = run(cfg, [[100, bar('health', 'h')], [200, bar('standby', 'operator')]], backupState(cfg));
    expect(nextDeadline(r.state)).toBeUndefined();
    r = run(cfg, [[10_000, unbar('health')]], r.state);
    expect(nextDeadline(r.state)).toBeUndefined();
    r = run(cfg, [[20_000, unbar('standby')]], r.state);
    expect(r.state.bars).toEqual({});
    expect(nextDeadline(r.state)).toBe(23_000);
    expect(run(cfg, [[23_000, TICK]], r.state).last).toEqual(promotion(1, SILENT_3S));
  });

  it('a weight is added to --advskew in the adverts and in the node\'s own timing, within 0–255', () => {
    const cfg = settings({ advskew: 10 });
    const { state, at } = masterState(cfg);
    const weighted = run(cfg, [[at + 1, { type: 'skew', weight: 100 }]], state).state;
    const next = nextDeadline(weighted) ?? 0;
    expect(run(cfg, [[next, TICK]], weighted).last).toEqual([sendAdvert(1, 110)]);
    const heavy = run(cfg, [[at + 1, { type: 'skew', weight: 1000 }]], state).state;
    expect(run(cfg, [[nextDeadline(heavy) ?? 0, TICK]], heavy).last).toEqual([sendAdvert(1, 255)]);
    // A weighted backup waits longer before it declares the master dead: 3 s + 110/256 s.
    const b = run(cfg, [[0, { type: 'skew', weight: 100 }], [1000, hear(advert())]], backupState(cfg)).state;
    expect(nextDeadline(b)).toBe(1000 + 3000 + (110 * 1000) / 256);
  });

  it('a healthier node with --preempt takes over from a master whose weight made it advertise slower', () => {
    const cfg = settings({ preempt: true, advskew: 50 });
    const r = run(cfg, [[500, hear(advert({ advskew: 10 + 100, epoch: 2 }))]], backupState(cfg));
    expect(r.last).toEqual([sendAdvert(3, 50)]);
  });
});

describe('step is pure', () => {
  it('does not mutate the state it is given', () => {
    const cfg: Settings = settings({ shutdownHooks: true });
    const { state } = masterState(cfg);
    const copy = structuredClone(state);
    for (const event of [TICK, SHUTDOWN, DEMOTE, upFailed(1), link(false), hear(advert({ epoch: 5 }))]) {
      step(cfg, state, event, 9000);
    }
    expect(state).toEqual(copy);
  });
});
