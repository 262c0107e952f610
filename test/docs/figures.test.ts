// Figures in the docs come from a test or the bench, not from memory: a size or an idle RSS quoted from a
// one-off measurement is soon wrong. Sizes and memory live in docs/benchmarks.md, which the bench writes;
// install.md must point there instead.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('docs/install.md', () => {
  it('quotes no size or memory figure of its own (the bench prints them: docs/benchmarks.md)', async () => {
    const page = await readFile(fileURLToPath(new URL('../../docs/install.md', import.meta.url)), 'utf8');
    expect(page.match(/\d+(\.\d+)?\s*(KiB|MiB|GiB|kB|MB|GB)\b/g) ?? []).toEqual([]);
    expect(page).toMatch(/\(benchmarks\.md\)/);
  });
});
