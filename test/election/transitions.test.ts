// enter(), the one owner of role changes: a no-op for the role a node already has, the fixed effect
// order for each move, nothing for moves the election never makes.
import { describe, expect, it } from 'vitest';
import { initialState } from '../../src/election/machine.js';
import { enter, type Target } from '../../src/election/transitions.js';
import type { Role, State } from '../../src/election/types.js';
import { backupState, demotion, masterState, promotion, release, resigned, settings } from './helpers.js';

const cfg = settings();
const targets: Record<Role, Target | undefined> = {
  init: undefined,
  backup: { role: 'backup' },
  master: { role: 'master' },
  releasing: { role: 'releasing', exitAfter: false },
  stopped: { role: 'stopped' },
};
const inRole = (role: Role): State => ({ ...masterState(cfg).state, role });

describe('enter()', () => {
  it.each(['backup', 'master', 'releasing', 'stopped'] as const)('entering %s while in %s is a no-op: same state, no effects', (role) => {
    const state = inRole(role);
    const r = enter(cfg, state, targets[role]!, 99_999, 'again');
    expect(r.state).toBe(state);
    expect(r.effects).toEqual([]);
  });

  it('each move the election makes has its fixed effects', () => {
    const { state: master } = masterState(cfg);
    expect(enter(cfg, backupState(cfg), { role: 'master' }, 3000, 'why').effects).toEqual(promotion(1, 'why'));
    expect(enter(cfg, master, { role: 'backup' }, 5000, 'why').effects).toEqual(demotion(1, 'why'));
    expect(enter(cfg, master, { role: 'releasing', exitAfter: false }, 5000, 'why').effects).toEqual(release(1, 'why'));
    expect(enter(cfg, master, { role: 'releasing', exitAfter: true }, 5000, 'why').effects).toEqual(release(1, 'why', 'STOPPED'));
    const releasing = enter(cfg, master, { role: 'releasing', exitAfter: false }, 5000, 'why').state;
    expect(enter(cfg, releasing, { role: 'backup' }, 5100, 'why').effects).toEqual(resigned(1, 'why'));
    expect(enter(cfg, releasing, { role: 'stopped', released: true }, 5100, 'done').effects).toEqual(resigned(1, 'done', 'STOPPED'));
    expect(enter(cfg, master, { role: 'stopped' }, 5100, 'now').effects).toEqual([{ kind: 'exit', code: 0 }]);
  });

  it('moves the election never makes change nothing: INIT or RELEASING straight to MASTER, BACKUP to RELEASING', () => {
    for (const [from, to] of [[initialState(0), targets.master], [inRole('releasing'), targets.master], [backupState(cfg), targets.releasing]] as const) {
      const r = enter(cfg, from, to!, 1000, 'never');
      expect(r.state).toBe(from);
      expect(r.effects).toEqual([]);
    }
  });
});
