// What the election needs of the configuration, and nothing else: the pure core never sees Config.
import type { Config } from './config.js';
import type { Settings } from '../election/machine.js';

export function settingsOf(cfg: Config): Settings {
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
  };
}
