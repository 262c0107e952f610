// Shared predicates and readers for the integration tests (the cluster itself is test/support/cluster.ts).
import { readFileSync, readdirSync } from 'node:fs';
import type { LogEvent } from '../support/cluster.js';

// A transition into MASTER.
export const isMasterTransition = (e: LogEvent): boolean => e.event === 'transition' && e.state === 'MASTER';

// The start of a hook from a down.d directory.
export const isDownHookStart = (e: LogEvent): boolean => e.msg === 'hook started' && typeof e.hook === 'string' && e.hook.includes('/down.d/');

// The argv.sh output: "argc=N", "arg=…" lines, then FLOATD_*=… lines.
export function parseArgv(text: string): { argv: string[]; env: Record<string, string> } {
  const lines = text.split('\n').filter(Boolean);
  const argc = Number(lines[0]?.replace('argc=', ''));
  const argv = lines.slice(1, 1 + argc).map((l) => l.replace(/^arg=/, ''));
  const env = Object.fromEntries(lines.slice(1 + argc).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  return { argv, env };
}

// True while any live (non-zombie) process is in process group `pgid` (a hook leads its own group).
export function groupRunning(pgid: number): boolean {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the parenthesised command name: state, ppid, pgrp, …
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') return true;
  }
  return false;
}

// The state file when it exists and satisfies `ok` (synchronous, for waitFor predicates).
export function readJson(path: string, ok: (d: Record<string, unknown>) => boolean): Record<string, unknown> | undefined {
  try {
    const d = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    return ok(d) ? d : undefined;
  } catch {
    return undefined;
  }
}
