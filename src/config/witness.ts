// `floatd witness`: a vote only, for two-node clusters (Corosync's qdevice does this job
// for Pacemaker). It takes the agent's flags but no VIP and no hooks: it sends presence, supports one
// candidate at a time, never claims, and touches no address. Pure.
import { WITNESS_VIP } from '../protocol/auth.js';
import { ConfigError, validate, type Config } from './config.js';
import type { OptionName, RawOptions } from './options.js';
import { defaultOf } from './reader.js';

// What a witness must not be given: it holds no VIP and runs nothing.
export const NOT_FOR_A_WITNESS: readonly OptionName[] = ['addr', 'upscript', 'downscript', 'hooks-dir', 'takeover-check', 'fence', 'check', 'preempt', 'shutdown', 'garp-refresh', 'data-version'];

// What a witness takes but has no use for, so `floatd witness --help` leaves it out: it runs no hooks (their
// argument $3 and timeouts), never claims (preemption damping, failed masterships), does not run the down
// hooks at start and records no VIP (validateWitness sets -n and --vip-driver record itself).
export const UNUSED_BY_A_WITNESS: readonly OptionName[] = ['xparam', 'hook-timeout', 'phase-timeout', 'preempt-delay', 'min-dwell', 'failure-threshold', 'failure-window', 'failure-timeout', 'neutral', 'vip-driver'];

export function validateWitness(raw: RawOptions, env: Readonly<Record<string, string | undefined>> = {}): Config {
  const problems: string[] = [];
  for (const name of NOT_FOR_A_WITNESS) {
    const value = raw[name];
    // Commander fills in the table's defaults (--garp-refresh 0): only a value given counts.
    if (value === undefined || value === false || value === defaultOf(name)) continue;
    const shown = Array.isArray(value) ? value.join(' ') : String(value);
    problems.push(`floatd witness holds no VIP and runs no hooks: --${name} is not for it, got "${shown}"`);
  }
  if (raw.presence === 'off') problems.push('--presence must be on for a witness (its vote rides in it), got "off"');
  let cfg: Config | undefined;
  try {
    // The VIP stands in for "none": a witness signs 0.0.0.0 and checks no VIP.
    cfg = validate({ ...raw, addr: WITNESS_VIP, presence: 'on', neutral: true, 'vip-driver': 'record' }, env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems.filter((p) => !p.startsWith('--addr ')));
  }
  if (problems.length > 0 || cfg === undefined) throw new ConfigError(problems);
  return { ...cfg, witness: true };
}
