// The answers to standby, resume and clear say what is under way, read off the state before and after.
import { describe, expect, it } from 'vitest';
import { barsText, outcomeOf } from '../../src/control/outcome.js';
import { initialState, type State } from '../../src/election/machine.js';

const state = (over: Partial<State>): State => ({ ...initialState(0), role: 'backup', ...over });
const STANDBY = { standby: 'operator standby (floatd standby)' };

describe('outcomeOf', () => {
  it('standby on a master: the release is under way and what comes next', () => {
    expect(outcomeOf('standby', state({ role: 'master' }), state({ role: 'releasing', bars: STANDBY }))).toBe(
      'standby: releasing: down hooks running, then the VIP is removed and a resign sent; this node then stays BACKUP until floatd resume',
    );
  });

  it('standby on a backup, and standby twice', () => {
    expect(outcomeOf('standby', state({}), state({ bars: STANDBY }))).toBe('standby: BACKUP, held out of the election until floatd resume');
    expect(outcomeOf('standby', state({ bars: STANDBY }), state({ bars: STANDBY }))).toMatch(/^already in standby: BACKUP/);
  });

  it('resume lifts standby, says when other bars still hold the node out, and when there was nothing to resume', () => {
    expect(outcomeOf('resume', state({ bars: STANDBY }), state({}))).toBe('resumed: BACKUP, taking part in the election again');
    expect(outcomeOf('resume', state({ bars: { ...STANDBY, link: 'interface is down' } }), state({ bars: { link: 'interface is down' } }))).toBe('resumed from standby, but still held out: link (interface is down)');
    expect(outcomeOf('resume', state({}), state({}))).toBe('not in standby: nothing to resume');
  });

  it('clear says whether it lifted the failures bar', () => {
    expect(outcomeOf('clear', state({ bars: { failures: '3 failed masterships' } }), state({}))).toBe('cleared: failed masterships forgotten, the failures bar is lifted');
    expect(outcomeOf('clear', state({}), state({}))).toBe('cleared: failed masterships forgotten');
  });

  it('barsText lists each bar with its detail', () => {
    expect(barsText({ link: 'interface is down', standby: 'x' })).toBe('link (interface is down); standby (x)');
  });
});
