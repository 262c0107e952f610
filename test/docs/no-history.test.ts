// The docs and the code describe the product as it is; which ticket brought a rule is in git. So no
// "issue N" in the docs, README.md, comments or test names (another project's issue, such as a MooseFS
// one a doc cites, names that project).
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TREES = ['docs', 'src', 'test', 'scripts', 'hooks'];
const FILES = ['README.md', '.ci/run'];
const TICKET = /\bissues? #?\d+/i;
const OTHER_PROJECT = /\b(MooseFS|ucarp|keepalived|Node(\.js)?|systemd|commander|pino) issues? #?\d+/i;

async function sources(): Promise<string[]> {
  const out = [...FILES];
  for (const tree of TREES) {
    for (const e of await readdir(join(ROOT, tree), { recursive: true, withFileTypes: true })) {
      if (e.isFile() && !e.name.endsWith('.8')) out.push(relative(ROOT, join(e.parentPath, e.name)));
    }
  }
  return out.sort();
}

describe('no project history in the docs and the code', () => {
  it('names no issue of this project (say what and why instead)', async () => {
    const found: string[] = [];
    for (const file of await sources()) {
      const lines = (await readFile(join(ROOT, file), 'utf8')).split('\n');
      lines.forEach((line, i) => {
        if (TICKET.test(line) && !OTHER_PROJECT.test(line)) found.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(found).toEqual([]);
  });

  it('would catch one (the check can fail)', () => {
    // Put together here, so this file does not hold what it looks for.
    expect(TICKET.test(['// The quorum rules (issue', '13 item 3).'].join(' '))).toBe(true);
    expect(TICKET.test(['## Targets (Issue', '15)'].join(' '))).toBe(true);
    expect(OTHER_PROJECT.test('never pass `-i` without reading MooseFS issue 151.')).toBe(true);
  });
});
