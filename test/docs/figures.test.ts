// Figures in the docs come from a test or the bench, not from memory (issue 16): docs/install.md once quoted
// an idle RSS for the binary and for node that no test or bench printed, and both were wrong. Sizes and
// memory live in docs/benchmarks.md, which the bench writes; install.md must point there instead.
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
