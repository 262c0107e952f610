// The man pages floatd(8) and floatd-witness(8) (docs/man/, written by scripts/gen-man.mjs from the option
// table): up to date with the build, rendered by man(1) and groff without a warning, and saying what --help
// says. Needs `npm run build` first (the script reads dist/), and man-db and groff-base (.ci/run installs them).
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPTIONS, type OptionSpec } from '../../src/config/options.js';
import { NOT_FOR_A_WITNESS, UNUSED_BY_A_WITNESS } from '../../src/config/witness.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = join(ROOT, 'scripts/gen-man.mjs');
const PAGES = ['floatd.8', 'floatd-witness.8'] as const;
const TABLE = OPTIONS as readonly OptionSpec[];
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'floatd-man-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

// The page as man(1) shows it on an 80-column terminal, and what it said on stderr with its warnings on.
async function man(file: string): Promise<{ text: string; warnings: string }> {
  const r = await execa('man', ['--warnings', '-l', file], { env: { MANWIDTH: '80', MAN_KEEP_FORMATTING: '', LC_ALL: 'C.UTF-8' }, reject: false });
  expect(r.exitCode, r.stderr).toBe(0);
  return { text: r.stdout, warnings: r.stderr };
}

// The OPTIONS section of a rendered page, up to the next section or subsection: its items start at column 8.
function optionSection(text: string): string {
  return /\nOPTIONS\n([\s\S]*?)\n(?=[A-Z]| {3}[A-Z])/.exec(text)?.[1] ?? '';
}

describe.each(PAGES)('docs/man/%s', (page) => {
  const file = join(ROOT, 'docs/man', page);

  it('renders with man --warnings and groff -ww without a single warning, within 80 columns', async () => {
    const { text, warnings } = await man(file);
    expect(warnings).toBe('');
    const groff = await execa('groff', ['-ww', '-man', '-z', '-Tutf8', file], { reject: false });
    expect(groff.stderr).toBe('');
    expect(groff.exitCode).toBe(0);
    for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    for (const section of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'EXIT STATUS', 'EXAMPLES', 'SEE ALSO']) expect(text).toMatch(new RegExp(`^${section}$`, 'm'));
  });

  it('is plain ASCII (other characters as groff glyphs), so it reads the same in any locale', async () => {
    expect(await readFile(file, 'utf8')).toMatch(/^[\x00-\x7f]*$/);
  });
});

describe('the man pages follow the option table', () => {
  it('are up to date (node scripts/gen-man.mjs --check)', async () => {
    const r = await execa('node', [SCRIPT, '--check'], { reject: false });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
  });

  it('floatd(8) has an item for every flag, --help and --version, the commands, signals and files', async () => {
    const { text } = await man(join(ROOT, 'docs/man/floatd.8'));
    const options = optionSection(text);
    for (const o of TABLE) {
      const names = [o.short ? `-${o.short}` : undefined, `--${o.long}`, ...(o.aliases ?? []).map((a) => `--${a}`)].filter(Boolean).join(', ');
      expect(options, `--${o.long}`).toMatch(new RegExp(`^ {7}${names.replace(/[[\]|.]/g, '\\$&')}${o.arg ? ' ' : '$'}`, 'm'));
      if (o.default !== undefined) expect(options.replace(/\s+/g, ' ')).toContain(`Default: ${o.default}.`);
    }
    expect(options).toMatch(/^ {7}-h, --help$/m);
    expect(options).toMatch(/^ {7}-V, --version$/m);
    for (const word of ['floatd status', 'floatd witness', 'floatd cleanup', 'SIGTERM, SIGINT', 'SIGUSR2', '/etc/floatd/key', 'FLOATD_PASSFILE', 'floatd-witness(8)']) expect(text).toContain(word);
  });

  it('floatd-witness(8) lists as options only what a witness uses, and names what it refuses and ignores', async () => {
    const { text } = await man(join(ROOT, 'docs/man/floatd-witness.8'));
    const options = optionSection(text);
    const left = new Set<string>([...NOT_FOR_A_WITNESS, ...UNUSED_BY_A_WITNESS]);
    for (const o of TABLE) {
      const item = new RegExp(`^ {7}(-${o.short ?? 'none'}, )?--${o.long}\\b`, 'm');
      if (left.has(o.long)) expect(options, `--${o.long}`).not.toMatch(item);
      else expect(options, `--${o.long}`).toMatch(item);
    }
    const refused = /\n {3}Refused\n([\s\S]*?)\n {3}Accepted, but unused\n([\s\S]*?)\n(?=[A-Z])/.exec(text);
    expect(refused).not.toBeNull();
    for (const name of NOT_FOR_A_WITNESS) expect(refused?.[1]?.replace(/\s+/g, ' ')).toMatch(new RegExp(`[ /]--${name}[,.]`));
    for (const name of UNUSED_BY_A_WITNESS) expect(refused?.[2]?.replace(/\s+/g, ' ')).toMatch(new RegExp(`(^|[ /])--${name}[,:]`));
  });

  it('--check fails on a stale page, and a plain run brings it up to date', async () => {
    // A copy of the layout the script expects, so the real pages are never touched.
    const copy = join(dir, 'repo');
    for (const p of ['scripts/gen-man.mjs', 'scripts/gen-cli-docs.mjs', 'dist', 'docs/man', 'package.json']) await cp(join(ROOT, p), join(copy, p), { recursive: true });
    const table = join(copy, 'dist/config/options.js');
    const description = TABLE.find((o) => o.long === 'port')?.description ?? '';
    const original = await readFile(table, 'utf8');
    await writeFile(table, original.replace(description, `${description} (changed)`));
    const script = join(copy, 'scripts/gen-man.mjs');

    const stale = await execa('node', [script, '--check'], { reject: false });
    expect(stale.exitCode).toBe(1);
    expect(stale.stderr).toBe(['floatd.8', 'floatd-witness.8'].map((p) => `gen-man: docs/man/${p} is out of date: run npm run build && node scripts/gen-man.mjs\n`).join('').trimEnd());

    expect((await execa('node', [script], { reject: false })).exitCode).toBe(0);
    expect(await readFile(join(copy, 'docs/man/floatd.8'), 'utf8')).toContain(`${description} (changed)`);
    expect((await execa('node', [script, '--check'], { reject: false })).exitCode).toBe(0);
  });

  it('--check without a build says to build first', async () => {
    const copy = join(dir, 'unbuilt');
    for (const p of ['scripts/gen-man.mjs', 'scripts/gen-cli-docs.mjs', 'package.json']) await cp(join(ROOT, p), join(copy, p));
    const r = await execa('node', [join(copy, 'scripts/gen-man.mjs'), '--check'], { reject: false });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/cannot load the build in .*dist.* run npm run build first/);
  });
});
