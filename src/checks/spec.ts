// One --check value: `[key=value ...] -- COMMAND`, or just `COMMAND`. Pure: problems are collected
// like the rest of config/config.ts, each naming the flag and quoting the bad value.

// How one health check runs and what its failure means. weight 0 is fault mode.
export interface CheckSpec {
  command: string; // run as /bin/sh -c COMMAND
  intervalMs: number;
  timeoutMs: number;
  rise: number; // successes in a row that make a check passing
  fall: number; // failures in a row that make a check failing
  mode: 'fault' | 'weight';
  weight: number; // added to the advskew while failing (weight mode); 0 in fault mode
  on: 'all' | 'master'; // master: the service itself, run only while this node is master and serving
}

// The keys a --check may set, with their defaults (docs/checks.md).
export const CHECK_KEYS = ['interval', 'timeout', 'rise', 'fall', 'weight', 'on'] as const;
type CheckKey = (typeof CHECK_KEYS)[number];

export const CHECK_DEFAULTS = { intervalMs: 2000, timeoutMs: 5000, rise: 2, fall: 3 } as const;

// A key=value word: lower-case key, so `FOO=bar cmd -- x` (an environment assignment) stays a command.
const KEY_VALUE = /^([a-z][a-z-]*)=(.*)$/;
// The first `--` word ends the options.
const SEPARATOR = /(?:^|\s)--(?:\s|$)/;

// Parses one --check value; pushes every problem found and returns undefined when there was one.
export function parseCheck(text: string, problems: string[]): CheckSpec | undefined {
  const before = problems.length;
  const bad = (what: string) => problems.push(`--check "${text}": ${what}`);
  const { words, command } = split(text);
  if (command === '') bad('the command is empty (give it after " -- ", or alone)');

  const given = new Map<CheckKey, string>();
  for (const word of words) {
    const [, key = '', value = ''] = KEY_VALUE.exec(word) ?? [];
    if (!(CHECK_KEYS as readonly string[]).includes(key)) {
      bad(`unknown key "${key}" (known: ${CHECK_KEYS.join(', ')})`);
    } else if (given.has(key as CheckKey)) {
      bad(`${key} is given twice`);
    } else {
      given.set(key as CheckKey, value);
    }
  }

  const seconds = (key: 'interval' | 'timeout', fallback: number): number => {
    const value = given.get(key);
    if (value === undefined) return fallback;
    const n = /^\d+(\.\d+)?$|^\.\d+$/.test(value) ? Number(value) : NaN;
    if (!(n >= 0.1 && n <= 86400)) bad(`${key} must be a number of seconds from 0.1 to 86400, got "${value}"`);
    return Math.round(n * 1000);
  };
  const integer = (key: 'rise' | 'fall' | 'weight', min: number, max: number, fallback: number): number => {
    const value = given.get(key);
    if (value === undefined) return fallback;
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!(n >= min && n <= max)) bad(`${key} must be an integer ${min}–${max}, got "${value}"`);
    return n;
  };

  const intervalMs = seconds('interval', CHECK_DEFAULTS.intervalMs);
  const timeoutMs = seconds('timeout', CHECK_DEFAULTS.timeoutMs);
  const rise = integer('rise', 1, 100, CHECK_DEFAULTS.rise);
  const fall = integer('fall', 1, 100, CHECK_DEFAULTS.fall);
  const weight = integer('weight', 1, 255, 0);
  const on = given.get('on') ?? 'all';
  if (on !== 'all' && on !== 'master') bad(`on must be all or master, got "${on}"`);
  if (on === 'master' && given.has('weight')) {
    bad('on=master cannot take a weight: a master-only check does not run on a backup, so the weight could never be lifted there; a failing master-only check hands mastership over instead');
  }
  if (problems.length > before) return undefined;
  return { command, intervalMs, timeoutMs, rise, fall, mode: weight > 0 ? 'weight' : 'fault', weight, on: on as CheckSpec['on'] };
}

// The words before the first " -- " are options only when every one of them is key=value; otherwise
// the whole value is the command (so `grep -q -- x file` needs no options).
function split(text: string): { words: string[]; command: string } {
  const trimmed = text.trim();
  const m = SEPARATOR.exec(trimmed);
  if (!m) return { words: [], command: trimmed };
  const head = trimmed.slice(0, m.index).trim();
  const words = head === '' ? [] : head.split(/\s+/);
  if (!words.every((w) => KEY_VALUE.test(w))) return { words: [], command: trimmed };
  return { words, command: trimmed.slice(m.index + m[0].length).trim() };
}

// How logs and status name a check: its command, as given.
export function describeCheck(spec: Pick<CheckSpec, 'command'>): string {
  return `check "${spec.command}"`;
}
