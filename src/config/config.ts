// Turns raw flags into a validated Config. Pure: every error names the flag and quotes the bad value,
// and all errors are reported together so nothing starts half-configured.
import { parseCheck, type CheckSpec } from '../checks/spec.js';
import type { RawOptions } from './options.js';
import { defaultOf, Reader } from './reader.js';
import { clusterConfig, type ClusterConfig } from './cluster.js';
import { addressesOf, type Peer } from './addresses.js';
import { fill } from './paths.js';
import type { Family } from '../protocol/address.js';
import { parseListenAddress, type ListenAddress } from './listen-address.js';

export type { Peer };

export type SecretSource =
  | { kind: 'pass'; value: string; fromEnv: boolean }
  | { kind: 'file'; path: string; fromEnv: boolean };

export interface Config {
  interface: string;
  srcip: string;
  family: Family; // --srcip's, so the adverts'
  vhid: number;
  vip: string; // the first -a: ucarp's $2, FLOATD_VIP
  vips: string[]; // every -a, in order (vip-set.ts: what the adverts sign for them)
  secret: SecretSource;
  preempt: boolean;
  neutral: boolean;
  advbaseMs: number;
  advskew: number;
  deadratio: number;
  advertCopies: number;
  upscript: string | undefined;
  downscript: string | undefined;
  shutdownHooks: boolean;
  daemonize: boolean;
  debug: boolean;
  ignoreIfState: boolean;
  broadcast: boolean;
  facility: string;
  xparam: string | undefined;
  mcast: string;
  port: number;
  peers: Peer[];
  hooksDir: string | undefined;
  takeoverChecks: string[];
  fence: string | undefined;
  preemptDelayMs: number;
  minDwellMs: number;
  failureThreshold: number;
  failureWindowMs: number;
  failureTimeoutMs: number;
  checks: CheckSpec[];
  hookTimeoutMs: number;
  phaseTimeoutsMs: Partial<Record<HookPhaseName, number>>;
  cooldownMs: number;
  stateFile: string;
  controlSocket: string;
  garpRefreshMs: number; // 0 = off
  runRecord: string;
  logFormat: 'json' | 'pretty' | 'auto';
  vipDriver: 'ip' | 'record';
  vipPath: 'channel' | 'spawn'; // --vip-path: the kernel channel, or ip(8) and arping(8) per change
  cluster: ClusterConfig;
  dataVersion: string | undefined; // --data-version COMMAND
  witness: boolean; // floatd witness (witness.ts): a vote only, no VIP, no hooks
  metricsListen: ListenAddress | undefined; // --metrics-listen: the Prometheus endpoint (src/metrics/), off when absent
}

// The phases a hook can run in, in the order of a promotion (down is the reverse).
export const HOOK_PHASES = ['takeover-check', 'fence', 'prepare', 'up', 'down', 'released'] as const;
export type HookPhaseName = (typeof HOOK_PHASES)[number];

export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.join('\n'));
    this.problems = problems;
  }
}

// syslog(3) facility names accepted by ucarp's -f and logger(1).
const FACILITIES = ['auth', 'authpriv', 'cron', 'daemon', 'ftp', 'kern', 'lpr', 'mail', 'news', 'syslog', 'user', 'uucp', ...Array.from({ length: 8 }, (_, i) => `local${i}`)];

// Validates raw flags (and FLOATD_PASS / FLOATD_PASSFILE from env) into a Config, or throws ConfigError listing every problem.
export function validate(raw: RawOptions, env: Readonly<Record<string, string | undefined>> = {}): Config {
  const problems: string[] = [];
  const v = new Reader(raw, problems);

  const vhid = v.int('vhid', 1, 255, { required: true });
  const advbase = v.number('advbase', 0.01, 255);
  const advbaseMs = Math.round(advbase * 1000);
  const nomcast = v.bool('nomcast');
  const port = v.int('port', 1, 65535);
  const { srcip, family, vips, mcast, peers } = addressesOf(v, raw, { port, nomcast }, problems);
  if (nomcast && peers.length > 0) problems.push('--nomcast and --peer cannot be combined: choose broadcast or unicast adverts');

  const iface = v.string('interface', { required: true, pattern: /^[A-Za-z0-9_.:@-]{1,15}$/, what: 'an interface name' });
  const config: Config = {
    interface: iface,
    srcip,
    family,
    vhid,
    vip: vips[0] ?? '',
    vips,
    secret: secretSource(raw, env, problems),
    preempt: v.bool('preempt'),
    neutral: v.bool('neutral'),
    advbaseMs,
    advskew: v.int('advskew', 0, 255),
    deadratio: v.int('deadratio', 1, 255),
    advertCopies: v.int('advert-copies', 1, 10),
    upscript: v.optional('upscript'),
    downscript: v.optional('downscript'),
    shutdownHooks: v.bool('shutdown'),
    daemonize: v.bool('daemonize'),
    debug: v.bool('debug'),
    ignoreIfState: v.bool('ignoreifstate'),
    broadcast: nomcast,
    facility: v.oneOf('facility', FACILITIES),
    xparam: v.optional('xparam', { allowEmpty: true }),
    mcast,
    port,
    peers,
    hooksDir: v.optional('hooks-dir'),
    takeoverChecks: v.list('takeover-check'),
    fence: v.optional('fence'),
    preemptDelayMs: Math.round(v.number('preempt-delay', 0, 86400) * 1000),
    minDwellMs: Math.round(v.number('min-dwell', 0, 86400) * 1000),
    failureThreshold: v.int('failure-threshold', 0, 1000),
    failureWindowMs: Math.round(v.number('failure-window', 1, 86400 * 30) * 1000),
    failureTimeoutMs: Math.round(v.number('failure-timeout', 0, 86400 * 30) * 1000),
    checks: v.list('check').flatMap((c) => parseCheck(c, problems) ?? []),
    hookTimeoutMs: Math.round(v.number('hook-timeout', 0.001, 86400) * 1000),
    phaseTimeoutsMs: phaseTimeouts(v.list('phase-timeout'), problems),
    cooldownMs: Math.round(v.number('cooldown', 0, 86400) * 1000),
    stateFile: fill(v.optional('state-file') ?? defaultOf('state-file'), iface, vhid),
    controlSocket: controlSocketPath(fill(v.optional('control-socket') ?? defaultOf('control-socket'), iface, vhid), problems),
    garpRefreshMs: garpRefresh(v.number('garp-refresh', 0, 86400), raw['garp-refresh'], problems),
    runRecord: fill(v.optional('run-record') ?? defaultOf('run-record'), iface, vhid),
    logFormat: v.oneOf('log-format', ['json', 'pretty', 'auto'] as const),
    vipDriver: v.oneOf('vip-driver', ['ip', 'record'] as const),
    vipPath: v.oneOf('vip-path', ['channel', 'spawn'] as const),
    dataVersion: v.optional('data-version'),
    witness: false,
    metricsListen: metricsListen(v.optional('metrics-listen'), problems),
    cluster: { mode: 'auto', voters: 0, quorum: 0, quorumWhy: '', presenceMode: 'auto', presence: false },
  };
  config.cluster = clusterConfig(v, raw, peers.length, config.deadratio, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function secretSource(raw: RawOptions, env: Readonly<Record<string, string | undefined>>, problems: string[]): SecretSource {
  const pass = typeof raw.pass === 'string' ? raw.pass : undefined;
  const file = typeof raw.passfile === 'string' ? raw.passfile : undefined;
  if (pass !== undefined && file !== undefined) problems.push('--pass and --passfile cannot be combined: give the secret once');
  if (pass !== undefined) {
    if (pass === '') problems.push('--pass must not be empty');
    return { kind: 'pass', value: pass, fromEnv: false };
  }
  if (file !== undefined) return { kind: 'file', path: file, fromEnv: false };
  if (env.FLOATD_PASSFILE) return { kind: 'file', path: env.FLOATD_PASSFILE, fromEnv: true };
  if (env.FLOATD_PASS) return { kind: 'pass', value: env.FLOATD_PASS, fromEnv: true };
  problems.push('a shared secret is required: --passfile FILE (recommended), FLOATD_PASSFILE, FLOATD_PASS or --pass');
  return { kind: 'pass', value: '', fromEnv: false };
}

// --metrics-listen: off when absent.
function metricsListen(value: string | undefined, problems: string[]): ListenAddress | undefined {
  if (value === undefined || value === '') return undefined; // '' is already reported as empty
  const parsed = parseListenAddress('--metrics-listen', value);
  if (typeof parsed === 'string') problems.push(parsed);
  return typeof parsed === 'string' ? undefined : parsed;
}

// --phase-timeout prepare=900: seconds per phase, each phase at most once.
function phaseTimeouts(items: string[], problems: string[]): Partial<Record<HookPhaseName, number>> {
  const out: Partial<Record<HookPhaseName, number>> = {};
  for (const item of items) {
    const m = /^([a-z-]+)=(\d+(?:\.\d+)?)$/.exec(item);
    const phase = m?.[1] as HookPhaseName | undefined;
    const seconds = Number(m?.[2]);
    if (!m || !phase || !(HOOK_PHASES as readonly string[]).includes(phase) || !(seconds >= 0.001 && seconds <= 86400)) {
      problems.push(`--phase-timeout must be PHASE=SECONDS with PHASE one of ${HOOK_PHASES.join(', ')} and 0.001–86400 seconds, got "${item}"`);
    } else if (out[phase] !== undefined) {
      problems.push(`--phase-timeout gives ${phase} twice, got "${item}"`);
    } else {
      out[phase] = Math.round(seconds * 1000);
    }
  }
  return out;
}

// A unix socket path holds at most 107 bytes (sun_path), and the socket is first bound in a private
// directory beside it (src/control/server.ts), whose name takes 10 bytes more than the file's own.
const SUN_PATH_MAX = 107;
function controlSocketPath(path: string, problems: string[]): string {
  const dirBytes = Buffer.byteLength(path) - Buffer.byteLength(path.slice(path.lastIndexOf('/') + 1));
  if (path === '') return path; // already reported as empty
  if (!path.startsWith('/')) problems.push(`--control-socket must be an absolute path, got "${path}"`);
  else if (Buffer.byteLength(path) > SUN_PATH_MAX || dirBytes + 10 > SUN_PATH_MAX) problems.push(`--control-socket must be at most ${SUN_PATH_MAX} bytes long in a directory of at most ${SUN_PATH_MAX - 11} (a unix socket path limit), got "${path}"`);
  return path;
}

// Seconds to ms; a refresh more often than once a second would overlap arping's own 3 announcements.
function garpRefresh(seconds: number, raw: unknown, problems: string[]): number {
  if (seconds > 0 && seconds < 1) problems.push(`--garp-refresh must be 0 (off) or at least 1 second, got "${String(raw)}"`);
  return Math.round(seconds * 1000);
}
