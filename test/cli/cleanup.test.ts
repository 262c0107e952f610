// floatd cleanup's decisions without a network: which exits are clean, and which pid is a live agent.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { agentRunning, isCleanExit, serviceExit } from '../../src/cli/cleanup.js';

describe('serviceExit / isCleanExit (systemd.exec(5): $SERVICE_RESULT, $EXIT_CODE, $EXIT_STATUS)', () => {
  it('is undefined when run by hand', () => {
    expect(serviceExit({})).toBeUndefined();
  });

  it('calls only success with exit status 0 clean', () => {
    const clean = (SERVICE_RESULT: string, EXIT_CODE: string, EXIT_STATUS: string) => isCleanExit(serviceExit({ SERVICE_RESULT, EXIT_CODE, EXIT_STATUS })!);
    expect(clean('success', 'exited', '0')).toBe(true);
    expect(clean('signal', 'killed', 'KILL')).toBe(false);
    expect(clean('core-dump', 'dumped', 'ABRT')).toBe(false);
    expect(clean('watchdog', 'dumped', 'ABRT')).toBe(false);
    expect(clean('timeout', 'killed', 'KILL')).toBe(false);
    expect(clean('exit-code', 'exited', '1')).toBe(false);
  });
});

describe('agentRunning', () => {
  it('is false for no pid, a dead pid and this very process', () => {
    expect(agentRunning(0)).toBe(false);
    expect(agentRunning(2 ** 22 + 1)).toBe(false);
    expect(agentRunning(process.pid)).toBe(false);
  });

  it('tells a live floatd from a program that reused its pid', async () => {
    const other = spawn('sleep', ['5']);
    const floatd = spawn('sleep', ['5'], { argv0: 'floatd' });
    try {
      await new Promise((r) => setTimeout(r, 100));
      expect(agentRunning(other.pid!)).toBe(false);
      expect(agentRunning(floatd.pid!)).toBe(true);
    } finally {
      other.kill('SIGKILL');
      floatd.kill('SIGKILL');
    }
  });
});
