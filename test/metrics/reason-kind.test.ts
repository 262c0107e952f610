import { describe, expect, it } from 'vitest';
import { reasonKind } from '../../src/metrics/reason-kind.js';

const tick = { type: 'tick' } as const;

describe('a transition reason as a label', () => {
  it.each([
    ['started', 'start'],
    ['master down: no advert from 10.0.0.2 for 3.0 s', 'master-down'],
    ['no master heard for 3.0 s', 'master-down'],
    ['master 10.0.0.2 resigned', 'resign'],
    ['master 10.0.0.2 resigned after a failed stop', 'resign'],
    ['preempting 10.0.0.2 (interval 1.0 s < 1.2 s)', 'preempt'],
    ['preempted by 10.0.0.1 (interval 1.0 s < 1.2 s)', 'preempt'],
    ['newer master 10.0.0.3 (epoch 4 > 3)', 'newer-master'],
    ['master 10.0.0.2 advertises every 5.0 s, beyond our dead interval 3.0 s', 'slow-master'],
    ['lost the quorum: fewer than 2 voters support this node (1 now)', 'quorum'],
    ['up hook failed: exit code 1', 'up-failed'],
    ['shutdown complete', 'shutdown'],
    ['something nobody wrote yet', 'other'],
  ])('"%s" is %s', (reason, kind) => {
    expect(reasonKind(tick, reason)).toBe(kind);
  });

  it('the event says the cause when it can, whatever the wording', () => {
    expect(reasonKind({ type: 'bar', bar: 'standby', detail: 'operator standby (floatd standby)' }, 'operator standby (floatd standby)')).toBe('standby');
    expect(reasonKind({ type: 'bar', bar: 'health', detail: 'check x failing' }, 'check x failing')).toBe('health');
    expect(reasonKind({ type: 'link', up: false }, 'interface eth0 is down')).toBe('link');
    expect(reasonKind({ type: 'service-failed', epoch: 2, detail: 'check y' }, 'check y')).toBe('service-failed');
    expect(reasonKind({ type: 'demote' }, 'demoted by SIGUSR2 for 10 s')).toBe('demote');
  });
});
