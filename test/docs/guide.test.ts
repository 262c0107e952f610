// docs/guide.md is prose, but three things in it must follow the code: the flag-by-flag ucarp table
// (src/config/options.ts), the timers table (src/election/timing.ts), and the flags and pages it names.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { advertIntervalMs, masterDownIntervalMs, resignDelayMs } from '../../src/election/timing.js';
import { OPTIONS, type OptionSpec } from '../../src/config/options.js';
import { codeFragments, headingAnchors, markedBlock, pageLinks, tableRows } from './markdown.js';

const DOCS = fileURLToPath(new URL('../../docs/', import.meta.url));
const TABLE = OPTIONS as readonly OptionSpec[];

// Flags of floatd's subcommands and of commander, not in the agent's table.
const SUBCOMMAND_FLAGS = ['json', 'help'];

let guide = '';
beforeAll(async () => {
  guide = await readFile(join(DOCS, 'guide.md'), 'utf8');
});

// The flags a cell names: `-x` and `--long` in backticks.
function flagsIn(cell: string): { shorts: string[]; longs: string[] } {
  const shorts = [...cell.matchAll(/`-([A-Za-z])`/g)].map((m) => m[1] ?? '');
  const longs = [...cell.matchAll(/`--([a-z][a-z-]*)`/g)].map((m) => m[1] ?? '');
  return { shorts, longs };
}

function option(long: string): OptionSpec | undefined {
  return TABLE.find((o) => o.long === long || (o.aliases ?? []).includes(long));
}

describe('the migration table (docs/guide.md, "Flag by flag")', () => {
  const rows = () => tableRows(markedBlock(guide, 'ucarp-flags'));

  it('has one row for every ucarp flag of src/config/options.ts, naming its short letter, long name and aliases', () => {
    const ucarp = TABLE.filter((o) => o.origin === 'ucarp');
    expect(ucarp.length).toBeGreaterThan(0);
    for (const o of ucarp) {
      const matching = rows().filter((r) => flagsIn(r[0] ?? '').longs.includes(o.long));
      expect(matching, `--${o.long}`).toHaveLength(1);
      const { shorts, longs } = flagsIn(matching[0]?.[0] ?? '');
      expect(shorts, `--${o.long}`).toEqual(o.short ? [o.short] : []);
      expect(longs.sort(), `--${o.long}`).toEqual([o.long, ...(o.aliases ?? [])].sort());
      expect(matching[0]?.[1]?.length ?? 0, `--${o.long} has no text`).toBeGreaterThan(10);
    }
  });

  it('names no flag that floatd does not have, nor one of floatd\'s own', () => {
    expect(rows().length).toBeGreaterThan(0);
    for (const r of rows()) {
      const { shorts, longs } = flagsIn(r[0] ?? '');
      expect(longs.length, `row "${r[0]}" names no long flag`).toBeGreaterThan(0);
      for (const long of longs) {
        const o = option(long);
        expect(o, `--${long} is not in src/config/options.ts`).toBeDefined();
        expect(o?.origin, `--${long} is not a ucarp flag`).toBe('ucarp');
      }
      for (const short of shorts) expect(TABLE.find((o) => o.short === short)?.long, `-${short}`).toBe(option(longs[0] ?? '')?.long);
    }
  });
});

describe('the timers table (docs/guide.md, "Choosing timers")', () => {
  // How the guide writes a duration: whole ms from 100 ms up, else one decimal without a trailing ".0".
  const ms = (x: number): string => `${x >= 100 ? Math.round(x) : Number(x.toFixed(1))} ms`;
  const COPY_GAP_MS = 20; // src/election/adverts.ts

  it('says what the formulas of src/election/timing.ts give, for a master with -k 0', () => {
    const rows = tableRows(markedBlock(guide, 'timers'));
    expect(rows.length).toBeGreaterThanOrEqual(5);
    for (const [b, r, k, copies, down, crash, lost, resign] of rows) {
      const advbaseMs = Math.round(Number(b) * 1000);
      const master = advertIntervalMs({ advbaseMs, advskew: 0 });
      const masterDown = masterDownIntervalMs({ advbaseMs, advskew: Number(k) }, Number(r));
      const n = Number(copies);
      const earliest = masterDown - master + (n - 1) * Math.min(COPY_GAP_MS, master / n);
      const row = `-b ${b} -r ${r} -k ${k} --advert-copies ${copies}`;
      expect(down, row).toBe(ms(masterDown));
      expect(crash, row).toBe(`${ms(earliest).replace(' ms', '')}–${ms(masterDown)}`);
      expect(lost, row).toBe(String(n * Number(r)));
      expect(resign, row).toBe(ms(resignDelayMs({ advskew: Number(k), advbaseMs }, Number(r))));
    }
  });
});

describe('what docs/guide.md names', () => {
  it('names only flags that exist (or are planned, until they land)', () => {
    const known = new Set([...TABLE.flatMap((o) => [o.long, ...(o.aliases ?? [])]), ...SUBCOMMAND_FLAGS]);
    const { inline, fenced } = codeFragments(guide);
    // floatd's own command lines only: other tools' flags (systemctl, sg_persist, ipmitool) are theirs.
    const ours = [...inline.filter((c) => /^(--|floatd |FLOATD_OPTS=)/.test(c)), ...fenced.filter((l) => /^\s*(--|floatd |FLOATD_OPTS=)/.test(l))];
    expect(ours.length).toBeGreaterThan(10);
    const named = new Set(ours.flatMap((c) => [...c.matchAll(/(?:^|\s)--([a-z][a-z-]*)/g)].map((m) => m[1] ?? '')));
    for (const flag of named) expect(known.has(flag), `--${flag}`).toBe(true);
  });

  it('links only to pages and headings that exist', async () => {
    const links = pageLinks(guide);
    expect(links.length).toBeGreaterThan(10);
    for (const { page, anchor } of links) {
      const text = page === '' ? guide : await readFile(join(DOCS, page), 'utf8').catch(() => undefined);
      expect(text, `docs/${page}`).toBeDefined();
      if (anchor !== undefined) expect([...headingAnchors(text ?? '')], `${page}#${anchor}`).toContain(anchor);
    }
  });
});

describe('the example config and the guide\'s first cluster', () => {
  it('ship the same FLOATD_OPTS line for host A, so copying the example gives what the guide says (no -P yet)', async () => {
    const example = await readFile(fileURLToPath(new URL('../../scripts/etc/floatd/vip.conf.example', import.meta.url)), 'utf8');
    const optsLine = (text: string) => text.split('\n').filter((l) => /^\s*FLOATD_OPTS=/.test(l)).map((l) => l.trim());
    const section = guide.slice(guide.indexOf('## The first cluster'), guide.indexOf('## Choosing timers'));
    expect(optsLine(section)).toHaveLength(1);
    expect(optsLine(example)).toEqual(optsLine(section));
  });
});
