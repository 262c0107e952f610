// What the agent answers to standby, resume and clear: what the command did and what happens next,
// read off the election state just before and just after the event was dispatched. Pure.
import type { Bar, State } from '../election/machine.js';
import { LABELS } from '../agent/snapshot.js';
import type { Command } from './protocol.js';

// The answer is sent once the event is dispatched, so it says what is under way, not what finished.
export function outcomeOf(cmd: Exclude<Command, 'status'>, before: State, after: State): string {
  switch (cmd) {
    case 'standby':
      if (before.bars.standby !== undefined) return `already in standby: ${LABELS[after.role]}, held out of the election until floatd resume`;
      if (after.role === 'releasing') return 'standby: releasing: down hooks running, then the VIP is removed and a resign sent; this node then stays BACKUP until floatd resume';
      return `standby: ${LABELS[after.role]}, held out of the election until floatd resume`;
    case 'resume': {
      if (before.bars.standby !== undefined && after.bars.standby !== undefined) return `still in standby: ${LABELS[after.role]}`;
      const others = barsText(after.bars);
      if (before.bars.standby === undefined) return `not in standby: nothing to resume${others ? ` (held out: ${others})` : ''}`;
      return others ? `resumed from standby, but still held out: ${others}` : `resumed: ${LABELS[after.role]}, taking part in the election again`;
    }
    case 'clear': {
      const lifted = before.bars.failures !== undefined && after.bars.failures === undefined;
      const others = barsText(after.bars);
      return `cleared: failed masterships forgotten${lifted ? ', the failures bar is lifted' : ''}${others ? ` (still held out: ${others})` : ''}`;
    }
    default:
      return assertNever(cmd);
  }
}

// "standby (operator standby (floatd standby)); link (interface is down)".
export function barsText(bars: Partial<Record<Bar, string>>): string {
  return Object.entries(bars)
    .filter(([, detail]) => detail !== undefined)
    .map(([bar, detail]) => `${bar} (${detail})`)
    .join('; ');
}

function assertNever(x: never): never {
  throw new Error(`unexpected command ${String(x)}`);
}
