// What `floatd status` says the agent last ran: the last hooks (phase, exit, duration) and the last
// verdict of the takeover gate. Bounded and pure; the driver feeds it and passes the wall clock.
import type { GateVerdict, HookRecord } from '../control/protocol.js';
import type { HookResult } from '../effects/hooks.js';

// Enough for one failover (prepare, up and down hooks of a small hooks directory), small enough to read.
export const HOOK_HISTORY = 10;

// The last HOOK_HISTORY hook runs, oldest first, and the last gate verdict.
export class HookHistory {
  private readonly max: number;
  private readonly runs: HookRecord[] = [];
  private verdict: GateVerdict | null = null;

  constructor(max = HOOK_HISTORY) {
    this.max = max;
  }

  // A hook of `phase` finished (or was killed) at wall time `wallNow`.
  hook(phase: string, r: HookResult, wallNow: number): void {
    this.runs.push({
      phase,
      path: r.path,
      ok: r.ok,
      exitCode: r.exitCode,
      signal: r.signal,
      timedOut: r.timedOut,
      cancelled: r.cancelled,
      durationMs: r.durationMs,
      endedAt: new Date(wallNow).toISOString(),
    });
    if (this.runs.length > this.max) this.runs.splice(0, this.runs.length - this.max);
  }

  // The takeover gate (checks, then fence) passed or refused.
  gate(ok: boolean, detail: string, wallNow: number): void {
    this.verdict = { ok, detail, at: new Date(wallNow).toISOString() };
  }

  hooks(): HookRecord[] {
    return this.runs.map((r) => ({ ...r }));
  }

  lastGate(): GateVerdict | null {
    return this.verdict ? { ...this.verdict } : null;
  }
}
