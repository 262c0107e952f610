// A transition's reason as a label: the log's reason is a sentence with addresses and durations in it (an
// unbounded label set); the metrics count transitions by the kind of cause, a small closed set. Pure.
import type { Event } from '../election/machine.js';

export const REASON_KINDS = [
  'start', 'master-down', 'resign', 'preempt', 'newer-master', 'slow-master', 'quorum', 'up-failed',
  'service-failed', 'stop-failed', 'shutdown', 'demote', 'standby', 'health', 'failures', 'link', 'other',
] as const;
export type ReasonKind = (typeof REASON_KINDS)[number];

// The event first where it says the cause by itself; otherwise the reason's wording (src/election/), whose
// sentences begin with the cause. A wording this does not know counts as 'other', never as a wrong kind.
export function reasonKind(event: Event, reason: string): ReasonKind {
  switch (event.type) {
    case 'start':
      return 'start';
    case 'shutdown':
      return 'shutdown';
    case 'demote':
      return 'demote';
    case 'up-failed':
      return 'up-failed';
    case 'service-failed':
      return 'service-failed';
    case 'stop-failed':
      return 'stop-failed';
    case 'link':
      return 'link';
    case 'bar':
      return event.bar;
    default:
      return fromWording(reason);
  }
}

const WORDING: readonly [RegExp, ReasonKind][] = [
  [/^start(ed|ing)\b/, 'start'],
  [/^shutdown\b/, 'shutdown'],
  [/^(master down|no master heard)\b/, 'master-down'],
  [/\bresigned\b|\bhanded over\b/, 'resign'],
  [/^newer master\b/, 'newer-master'],
  [/^(preempting|preempted by)\b/, 'preempt'],
  [/^master \S+ advertises every .* beyond our dead interval/, 'slow-master'],
  [/\bquorum\b/, 'quorum'],
  [/^up hook failed\b/, 'up-failed'],
  [/^demoted by SIGUSR2\b/, 'demote'],
  [/^failure timeout over\b/, 'failures'],
];

function fromWording(reason: string): ReasonKind {
  return WORDING.find(([re]) => re.test(reason))?.[1] ?? 'other';
}
