// The kernel channel's perl helper as perl sees it, without opening its sockets (that needs root: the
// namespace tests run it): it compiles under strict and warnings, and loads no module, since each one
// costs the idle helper memory (src/net/kernel-helper.ts).
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { HELPER_SCRIPT } from '../../src/net/kernel-helper.js';

describe('kernel helper script', () => {
  it('compiles under strict and warnings', () => {
    const out = execFileSync('perl', ['-Mstrict', '-Mwarnings', '-c', '-e', HELPER_SCRIPT], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).toBe('');
  });

  it('loads no module (a CHECK block lists %INC once it is compiled)', () => {
    const out = execFileSync('perl', ['-c', '-e', `CHECK { print join(',', sort keys %INC), "\\n" } ${HELPER_SCRIPT}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).toBe('\n');
  });
});
