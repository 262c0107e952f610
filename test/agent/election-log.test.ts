// What the log says about a handover: the bench's per-step table reads the moment a backup heard its
// master's resign from the 'resign-heard' line (scripts/bench/steps.ts), and the claim from 'transition'.
import { describe, expect, it } from 'vitest';
import { logStep } from '../../src/agent/election-log.js';
import type { Logger } from '../../src/log/log.js';
import { step } from '../../src/election/machine.js';
import { advert, backupState, hear, resignFrom, settings } from '../election/helpers.js';

function recorder(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const put = (fields: Record<string, unknown>, msg: string) => void lines.push({ ...fields, msg });
  return { log: { info: put, warn: put, error: put, debug: put } as unknown as Logger, lines };
}

describe('election log', () => {
  const cfg = settings({ advbaseMs: 100, advskew: 10 });
  const following = step(cfg, backupState(cfg, 0), hear(advert({ epoch: 4, advbaseMs: 100 })), 10).state;

  it('a backup that hears its master resign says so once, with the skew wait before its claim', () => {
    const { log, lines } = recorder();
    const heard = step(cfg, following, hear(resignFrom({ epoch: 4, advbaseMs: 100 })), 50);
    logStep(log, following, heard.state, hear(resignFrom({ epoch: 4 })), 50);
    expect(lines).toEqual([expect.objectContaining({ event: 'resign-heard', from: '10.0.0.2', epoch: 4, waitMs: 20, unclean: false })]);
    // The same resign heard again adds no line.
    const again = step(cfg, heard.state, hear(resignFrom({ epoch: 4, advbaseMs: 100 })), 51);
    logStep(log, heard.state, again.state, hear(resignFrom({ epoch: 4 })), 51);
    expect(lines).toHaveLength(1);
  });

  it('a claim on a timer logs how late the timer fired', () => {
    const { log, lines } = recorder();
    const heard = step(cfg, following, hear(resignFrom({ epoch: 4, advbaseMs: 100 })), 50).state;
    const claimed = step(cfg, heard, { type: 'tick' }, 70.5);
    logStep(log, heard, claimed.state, { type: 'tick' }, 70.5, 0.594);
    expect(lines[0]).toEqual(expect.objectContaining({ event: 'transition', state: 'MASTER', previous: 'BACKUP', timerLateMs: 0.594 }));
  });
});
