// What the election needs of the configuration, and nothing else: the pure core never sees Config.
import type { Config } from './config.js';
import type { Settings } from '../election/machine.js';

// `incarnation` is new at every start of the agent (its presence says which run a supporter's echo is for).
export function settingsOf(cfg: Config, incarnation = 0): Settings {
  return {
    self: cfg.srcip,
    vip: cfg.vip,
    vhid: cfg.vhid,
    advbaseMs: cfg.advbaseMs,
    advskew: cfg.advskew,
    deadratio: cfg.deadratio,
    preempt: cfg.preempt,
    neutral: cfg.neutral,
    shutdownHooks: cfg.shutdownHooks,
    cooldownMs: cfg.cooldownMs,
    advertsPerInterval: cfg.advertCopies,
    takeoverCheck: cfg.takeoverChecks.length > 0,
    fence: cfg.fence !== undefined,
    preemptDelayMs: cfg.preemptDelayMs,
    minDwellMs: cfg.minDwellMs,
    failureThreshold: cfg.failureThreshold,
    failureWindowMs: cfg.failureWindowMs,
    failureTimeoutMs: cfg.failureTimeoutMs,
    ...(cfg.cluster.presence ? { cluster: { incarnation, voters: cfg.cluster.voters, quorum: cfg.cluster.quorum, witness: cfg.witness, freshness: cfg.dataVersion !== undefined } } : {}),
  };
}
