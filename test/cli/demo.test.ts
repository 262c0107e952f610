// The README's first command: `floatd demo` must show an election, a crash failover and a graceful
// takeover, then exit 0 — as an unprivileged user would run it.
import { resolve } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

describe('floatd demo', () => {
  it('runs a 3-node loopback cluster through a crash and a graceful stop and exits 0 with a summary', async () => {
    const r = await execa(process.execPath, [resolve('dist/cli.js'), 'demo'], { reject: false, timeout: 60_000 });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const summary = r.stdout.slice(r.stdout.indexOf('Summary'));
    for (const row of ['election at start', 'failover after SIGKILL', 'takeover after SIGTERM']) {
      expect(summary).toMatch(new RegExp(`${row}\\s+node[123]\\s+\\d+ ms`));
    }
    // The crash failover is detected by silence, the graceful one by the resign.
    expect(r.stdout).toMatch(/BACKUP -> MASTER: master down: no advert from 127\.0\.0\.\d/);
    expect(r.stdout).toMatch(/BACKUP -> MASTER: master 127\.0\.0\.\d resigned/);
    expect(r.stdout).toMatch(/resign advert sent/);
    // The restarted crashed node clears the VIP it left behind before joining.
    expect(r.stdout).toMatch(/INIT -> BACKUP: started[\s\S]*VIP remove/);
  }, 70_000);
});
