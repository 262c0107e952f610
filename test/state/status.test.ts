// The status line of one vhid: what an operator reads first, and the warnings that are never folded away.
import { describe as suite, expect, it } from 'vitest';
import type { StateFile } from '../../src/state/state-file.js';
import { describe } from '../../src/state/status.js';

const doc = (over: Partial<StateFile> = {}): StateFile => ({
  vhid: 10, vip: '198.51.100.99', interface: 'eth0', srcip: '198.51.100.1', pid: process.pid, state: 'BACKUP', since: '2026-12-07T10:00:00.000Z',
  master: '198.51.100.2', masterEpoch: 4, epoch: 3, maxEpochSeen: 4, reason: 'master 198.51.100.1 resigned', serving: false, vipHeld: false,
  hooksInProgress: [], seqFloor: '1', updatedAt: '2026-12-07T10:00:01.000Z', ...over,
});

suite('floatd status', () => {
  it('says on its own line that the last release failed to stop, with why', () => {
    const text = describe(doc({ stopFailed: 'down hook failed: /etc/floatd/hooks/down.d/20-umount exited 32' }));
    expect(text.split('\n')[1]).toBe("  STOP FAILED in the last release (down hook failed: /etc/floatd/hooks/down.d/20-umount exited 32): the service or the VIP may still be here; check the down hooks' output");
  });

  it('says nothing of it after a clean release, nor for a state file of an older version', () => {
    expect(describe(doc({ stopFailed: null }))).not.toMatch(/STOP FAILED/);
    expect(describe(doc())).not.toMatch(/\n/);
  });
});
