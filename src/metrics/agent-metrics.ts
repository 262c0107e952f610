// What the driver tells the metrics (--metrics-listen), at the points it already logs: each election step,
// each advert sent and heard, each finished hook, the VIP added or removed. Without the flag every call is a
// no-op and the Prometheus client is never loaded (an idle agent pays nothing for it).
import type { HookPhaseName } from '../config/config.js';
import type { HookResult } from '../effects/hooks.js';
import type { Event, Settings, State } from '../election/machine.js';
import type { AdvertType } from '../protocol/advert.js';

// What a scrape reads from the running agent (gauges are taken at scrape time, never pushed).
export interface MetricsSource {
  settings: Settings;
  state(): State;
  now(): number; // the election's monotonic clock, in ms
  vipHeld(): boolean;
  drops(): ReadonlyMap<string, number>; // datagrams not taken, by reason, since start (src/net/transport.ts)
  keys?(): KeyMetrics; // the keyring (src/protocol/keyring.ts), once there is one
}

// The keys as the metrics show them: which one signs, and per key id the adverts it verified.
export interface KeyMetrics {
  active: string;
  ids: readonly string[];
  verified: ReadonlyMap<string, number>;
  reloads: { ok: number; failed: number };
}

export interface AgentMetrics {
  stepped(before: State, after: State, event: Event, now: number): void;
  sent(type: AdvertType): void;
  received(type: AdvertType, behind: boolean): void;
  hookEnded(phase: HookPhaseName, result: HookResult): void;
  vip(held: boolean, now: number): void;
  close(): Promise<void>;
}

// Metrics off (no --metrics-listen).
export const NO_METRICS: AgentMetrics = {
  stepped: () => undefined,
  sent: () => undefined,
  received: () => undefined,
  hookEnded: () => undefined,
  vip: () => undefined,
  close: async () => undefined,
};
