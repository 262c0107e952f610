// The option table is the single source of the flags: commander, --help, config defaults and
// docs/cli.md all follow it. Needs `npm run build` first (the docs script and the CLI read dist/).
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validate, type Config } from '../../src/config/config.js';
import { OPTIONS, attributeOf, flagsOf, type OptionName, type OptionSpec } from '../../src/config/options.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = join(ROOT, 'scripts/gen-cli-docs.mjs');
const CLI = join(ROOT, 'dist/cli.js');
const TABLE = OPTIONS as readonly OptionSpec[];

// ucarp 1.5's flags: short letter, long name, whether it takes a value. ucarp spells -m's long name
// both --mcast (in --help) and --mcastip (in getopt); floatd accepts both.
const UCARP_1_5: readonly [string, string, boolean][] = [
  ['i', 'interface', true],
  ['s', 'srcip', true],
  ['v', 'vhid', true],
  ['p', 'pass', true],
  ['o', 'passfile', true],
  ['P', 'preempt', false],
  ['n', 'neutral', false],
  ['a', 'addr', true],
  ['b', 'advbase', true],
  ['k', 'advskew', true],
  ['u', 'upscript', true],
  ['d', 'downscript', true],
  ['r', 'deadratio', true],
  ['z', 'shutdown', false],
  ['B', 'daemonize', false],
  ['D', 'debug', false],
  ['S', 'ignoreifstate', false],
  ['M', 'nomcast', false],
  ['f', 'facility', true],
  ['x', 'xparam', true],
  ['m', 'mcast', true],
];

let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'floatd-options-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the option table', () => {
  it('gives every option a unique long name, aliases included', () => {
    const longs = TABLE.flatMap((o) => [o.long, ...(o.aliases ?? [])]);
    expect(new Set(longs).size).toBe(longs.length);
    expect(longs).not.toContain('help');
    expect(longs).not.toContain('version');
    for (const l of longs) expect(l).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
  });

  it('gives every short letter to one option only, and never -h (help) nor -V (version)', () => {
    const shorts = TABLE.flatMap((o) => (o.short ? [o.short] : []));
    expect(new Set(shorts).size).toBe(shorts.length);
    expect(shorts).not.toContain('h');
    expect(shorts).not.toContain('V');
    for (const s of shorts) expect(s).toMatch(/^[A-Za-z]$/);
  });

  it.each(UCARP_1_5)('has ucarp 1.5\'s -%s, --%s', (short, long, takesValue) => {
    const o = TABLE.find((x) => x.long === long);
    expect(o, `--${long} is missing`).toBeDefined();
    expect(o?.short).toBe(short);
    expect(o?.origin).toBe('ucarp');
    expect(o?.arg !== undefined).toBe(takesValue);
  });

  it('accepts ucarp\'s getopt spelling --mcastip for -m', () => {
    expect(TABLE.find((o) => o.short === 'm')?.aliases).toContain('mcastip');
  });

  it('marks only ucarp\'s flags as ucarp', () => {
    const ucarp = TABLE.filter((o) => o.origin === 'ucarp').map((o) => o.long);
    expect(ucarp.sort()).toEqual(UCARP_1_5.map(([, long]) => long).sort());
    // floatd's extensions leave the short letters to ucarp.
    for (const o of TABLE.filter((x) => x.origin === 'floatd')) expect(o.short).toBeUndefined();
  });

  it('flagsOf and attributeOf speak commander', () => {
    expect(flagsOf({ long: 'interface', short: 'i', arg: 'if', description: '', origin: 'ucarp' })).toBe('-i, --interface <if>');
    expect(flagsOf({ long: 'preempt', short: 'P', description: '', origin: 'ucarp' })).toBe('-P, --preempt');
    expect(flagsOf({ long: 'port', arg: 'port', description: '', origin: 'floatd' })).toBe('--port <port>');
    expect(attributeOf('hook-timeout')).toBe('hookTimeout');
    expect(attributeOf('state-file')).toBe('stateFile');
    expect(attributeOf('vhid')).toBe('vhid');
  });
});

// What commander really built in dist/cli.js: a preload swaps the root command's action for one that
// prints the commander options and the parsed values, so nothing starts.
async function inspectProgram(args: string[]): Promise<{ options: CommanderOption[]; opts: Record<string, unknown> }> {
  const preload = join(dir, 'inspect.mjs');
  await writeFile(
    preload,
    `import { createRequire } from 'node:module';
const { Command } = createRequire(${JSON.stringify(join(ROOT, 'package.json'))})('commander');
const parseAsync = Command.prototype.parseAsync;
Command.prototype.parseAsync = function (...args) {
  if (this.parent === null) {
    const options = this.options.map((o) => ({ long: o.long, short: o.short ?? null, defaultValue: o.defaultValue ?? null, defaultValueDescription: o.defaultValueDescription ?? null, hidden: o.hidden }));
    this.action((opts) => {
      process.stdout.write(JSON.stringify({ options, opts }));
      process.exit(0);
    });
  }
  return parseAsync.apply(this, args);
};
`,
  );
  const r = await execa('node', ['--import', pathToFileURL(preload).href, CLI, ...args], { reject: false, timeout: 10_000 });
  if (r.exitCode !== 0) throw new Error(`inspecting the program failed (${r.exitCode}): ${r.stderr}`);
  return JSON.parse(r.stdout) as { options: CommanderOption[]; opts: Record<string, unknown> };
}

interface CommanderOption {
  long: string;
  short: string | null;
  defaultValue: unknown;
  defaultValueDescription: string | null;
  hidden: boolean;
}

describe('commander follows the table', () => {
  it('declares each row with its short and long name, and the table default as its default', async () => {
    const { options } = await inspectProgram([]);
    for (const o of TABLE) {
      const c = options.find((x) => x.long === `--${o.long}`);
      expect(c, `--${o.long}`).toBeDefined();
      expect(c?.short).toBe(o.short ? `-${o.short}` : null);
      expect(c?.defaultValue).toBe(o.default ?? null);
      expect(c?.hidden).toBe(false);
      for (const alias of o.aliases ?? []) {
        const a = options.find((x) => x.long === `--${alias}`);
        expect(a?.hidden).toBe(true);
        // An alias has no default of its own, or it would override the flag it stands for.
        expect(a?.defaultValue).toBeNull();
      }
    }
    // The table's rows and aliases, and commander's -V, --version (src/cli/version.ts), nothing else.
    expect(options.filter((o) => o.long !== '--version')).toHaveLength(TABLE.reduce((n, o) => n + 1 + (o.aliases?.length ?? 0), 0));
    expect(options.find((o) => o.long === '--version')?.short).toBe('-V');
  });

  it('parses a flag not given to the table default, and nothing for rows without one', async () => {
    const { opts } = await inspectProgram(['-i', 'eth0']);
    const defaults = Object.fromEntries(TABLE.flatMap((o) => (o.default === undefined ? [] : [[attributeOf(o.long), o.default]])));
    expect(opts).toEqual({ interface: 'eth0', ...defaults });
  });

  it('parses given values as strings, switches as true and --peer as a list', async () => {
    const { opts } = await inspectProgram(['-v', '7', '-b', '0.5', '-P', '--peer', '10.0.0.2', '--peer', '10.0.0.3:6000', '--mcastip', '239.1.1.1', '--hook-timeout', '5']);
    expect(opts).toMatchObject({ vhid: '7', advbase: '0.5', preempt: true, peer: ['10.0.0.2', '10.0.0.3:6000'], mcastip: '239.1.1.1', hookTimeout: '5' });
    expect(Object.keys(opts).every((k) => TABLE.some((o) => attributeOf(o.long) === k || o.aliases?.some((a) => attributeOf(a) === k)))).toBe(true);
  });

  it('--help shows the default of every row that has one', async () => {
    const r = await execa('node', [CLI, '--help'], { reject: false });
    const help = r.stdout.replace(/\s+/g, ' ');
    for (const o of TABLE) if (o.default !== undefined) expect(help).toContain(`(default: "${o.default}")`);
    expect(help.match(/\(default: /g)).toHaveLength(TABLE.filter((o) => o.default !== undefined).length);
  });
});

describe('validate() applies the table defaults', () => {
  const required = { interface: 'eth0', srcip: '10.0.0.1', vhid: '10', addr: '10.0.0.99', passfile: '/etc/floatd/key' };
  const config = (): Config => validate(required, {});
  const seconds = (s: string): number => Math.round(Number(s) * 1000);
  // How each defaulted row shows up in Config.
  const IN_CONFIG: Partial<Record<OptionName, (c: Config) => unknown>> = {
    advbase: (c) => c.advbaseMs,
    advskew: (c) => c.advskew,
    deadratio: (c) => c.deadratio,
    'advert-copies': (c) => c.advertCopies,
    facility: (c) => c.facility,
    mcast: (c) => c.mcast,
    port: (c) => c.port,
    'hook-timeout': (c) => c.hookTimeoutMs,
    cooldown: (c) => c.cooldownMs,
    'preempt-delay': (c) => c.preemptDelayMs,
    'min-dwell': (c) => c.minDwellMs,
    'failure-threshold': (c) => c.failureThreshold,
    'failure-window': (c) => c.failureWindowMs,
    'failure-timeout': (c) => c.failureTimeoutMs,
    'state-file': (c) => c.stateFile,
    'control-socket': (c) => c.controlSocket,
    'garp-refresh': (c) => c.garpRefreshMs,
    'run-record': (c) => c.runRecord,
    'log-format': (c) => c.logFormat,
    'vip-driver': (c) => c.vipDriver,
    'vip-path': (c) => c.vipPath,
    quorum: (c) => c.cluster.mode,
    presence: (c) => c.cluster.presenceMode,
  };
  const EXPECTED: Partial<Record<OptionName, (d: string) => unknown>> = {
    advbase: seconds,
    advskew: Number,
    deadratio: Number,
    'advert-copies': Number,
    port: Number,
    'hook-timeout': seconds,
    cooldown: seconds,
    'preempt-delay': seconds,
    'min-dwell': seconds,
    'failure-threshold': Number,
    'failure-window': seconds,
    'failure-timeout': seconds,
    'state-file': (d) => d.replace('<interface>', 'eth0').replace('<vhid>', '10'),
    'control-socket': (d) => d.replace('<interface>', 'eth0').replace('<vhid>', '10'),
    'garp-refresh': seconds,
    'run-record': (d) => d.replace('<interface>', 'eth0').replace('<vhid>', '10'),
  };

  it.each(TABLE.filter((o) => o.default !== undefined).map((o) => [o.long, o.default] as const))('--%s defaults to %s', (long, def) => {
    const name = long as OptionName;
    const read = IN_CONFIG[name];
    expect(read, `no Config field known for --${long}`).toBeDefined();
    expect(read?.(config())).toEqual((EXPECTED[name] ?? String)(def as string));
  });
});

describe('docs/cli.md', () => {
  it('is up to date with the table (node scripts/gen-cli-docs.mjs --check)', async () => {
    const r = await execa('node', [SCRIPT, '--check'], { reject: false });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
  });

  it('has a row for every option, with its origin and default, and the sections an operator needs', async () => {
    const page = await readFile(join(ROOT, 'docs/cli.md'), 'utf8');
    for (const o of TABLE) {
      const row = page.split('\n').find((l) => l.includes(`| \`--${o.long}\``));
      expect(row, `--${o.long}`).toBeDefined();
      expect(row).toContain(`| ${o.origin} |`);
      if (o.short) expect(row).toMatch(new RegExp(`^\\| \`-${o.short}\` \\|`));
      if (o.default !== undefined) expect(row).toContain(`\`${o.default}\``);
      // Six cells: a pipe in a description must not split the row.
      expect(row?.split(/(?<!\\)\|/).length).toBe(8);
    }
    expect(page).toContain('floatd -i eth0 -s 10.0.0.1 -v 10 -o /etc/floatd/key -a 10.0.0.99 -u up -d down -b 1 -k 0 -P -z');
    for (const word of ['floatd status', 'floatd demo', 'FLOATD_PASS', 'FLOATD_PASSFILE', 'SIGTERM', 'SIGINT', 'SIGUSR1', 'SIGUSR2', '## Exit codes']) {
      expect(page).toContain(word);
    }
  });

  it('--check fails on a stale page, and a plain run brings it up to date', async () => {
    // A copy of the layout the script expects, so the real docs/cli.md is never touched.
    const copy = join(dir, 'repo');
    await mkdir(join(copy, 'scripts'), { recursive: true });
    await mkdir(join(copy, 'dist/config'), { recursive: true });
    await mkdir(join(copy, 'docs'), { recursive: true });
    await copyFile(SCRIPT, join(copy, 'scripts/gen-cli-docs.mjs'));
    await copyFile(join(ROOT, 'docs/cli.md'), join(copy, 'docs/cli.md'));
    const table = await readFile(join(ROOT, 'dist/config/options.js'), 'utf8');
    const description = TABLE[0]?.description ?? '';
    const changed = table.replace(description, `${description} (changed)`);
    expect(changed).not.toBe(table);
    await writeFile(join(copy, 'dist/config/options.js'), changed);
    const script = join(copy, 'scripts/gen-cli-docs.mjs');

    const stale = await execa('node', [script, '--check'], { reject: false });
    expect(stale.exitCode).toBe(1);
    expect(stale.stderr).toMatch(/docs\/cli\.md is out of date: run npm run build && node scripts\/gen-cli-docs\.mjs/);

    expect((await execa('node', [script], { reject: false })).exitCode).toBe(0);
    expect(await readFile(join(copy, 'docs/cli.md'), 'utf8')).toContain(`${description} (changed)`);
    expect((await execa('node', [script, '--check'], { reject: false })).exitCode).toBe(0);
  });

  it('--check without a build says to build first', async () => {
    const copy = join(dir, 'unbuilt');
    await mkdir(join(copy, 'scripts'), { recursive: true });
    await copyFile(SCRIPT, join(copy, 'scripts/gen-cli-docs.mjs'));
    const r = await execa('node', [join(copy, 'scripts/gen-cli-docs.mjs'), '--check'], { reject: false });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/cannot load .*dist\/config\/options\.js .*run npm run build first/);
  });
});
