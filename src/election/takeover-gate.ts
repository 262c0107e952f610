// The takeover gate (--takeover-check): a backup that would promote first asks the checks, while it is
// still BACKUP and sends nothing, so a refusing node never advertises, never adds the VIP and never runs a
// hook. A refusal keeps it out for a growing backoff; hearing a master cancels a check under way. Pure.

// What a backup is waiting for while its checks run: the epoch it would claim and why it would promote.
export interface Checking {
  epoch: number;
  reason: string;
}

// 1 s, 2 s, 4 s … 60 s: retried for as long as no master is heard, each refusal logged (never silent).
export function checkBackoffMs(failures: number): number {
  return Math.min(60_000, 1000 * 2 ** Math.max(0, failures - 1));
}
