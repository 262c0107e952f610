// The last failover of this node, step by step, for the metrics: when the backup decided to claim (its
// master down or resigned, or a preemption), when it became MASTER (after the takeover gate or the quorum's
// support), when the VIP was added, and when the up hooks were done (serving). keepalived's and ucarp's
// order of effects on becoming master (VIP, then announcements, then notify) is the order measured here.
// Pure: times are the election's monotonic clock, in ms.
import type { State } from '../election/machine.js';

export const FAILOVER_STEPS = ['promoted', 'vip_added', 'serving'] as const;
export type FailoverStep = (typeof FAILOVER_STEPS)[number];

export interface Failover {
  claimAt: number;
  epoch: number;
  at: Partial<Record<FailoverStep, number>>;
}

export class FailoverSteps {
  private pendingClaim: number | undefined; // a claim under way (gate, quorum): not yet a failover
  private current: Failover | undefined;

  // After every election step.
  stepped(before: State, after: State, now: number): void {
    if (after.role === 'backup' && this.claims(before, after)) this.pendingClaim ??= now;
    // A claim that went back to plain BACKUP (refused, or a master was heard) leaves the last failover as it was.
    if (after.role === 'backup' && after.checking === undefined && after.view.seeking === undefined) this.pendingClaim = undefined;
    if (after.role === 'master' && before.role !== 'master') {
      this.current = { claimAt: this.pendingClaim ?? now, epoch: after.epoch, at: { promoted: now } };
      this.pendingClaim = undefined;
    }
    if (after.serving && !before.serving && this.current?.epoch === after.epoch) this.current.at.serving ??= now;
  }

  // The VIP was added (the driver's VIP path): a step of the current failover once, while master.
  vipAdded(now: number): void {
    if (this.current !== undefined && this.current.at.serving === undefined) this.current.at.vip_added ??= now;
  }

  last(): Failover | undefined {
    return this.current;
  }

  private claims(before: State, after: State): boolean {
    return (after.checking !== undefined && before.checking === undefined) || (after.view.seeking !== undefined && before.view.seeking === undefined);
  }
}
