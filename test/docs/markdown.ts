// Just enough Markdown reading for the docs tests: marked blocks, table rows, code spans, links, anchors.

// The lines between `<!-- NAME:start -->` and `<!-- NAME:end -->`: a block a test keeps in sync.
export function markedBlock(page: string, name: string): string[] {
  const lines = page.split('\n');
  const start = lines.indexOf(`<!-- ${name}:start -->`);
  const end = lines.indexOf(`<!-- ${name}:end -->`);
  if (start < 0 || end < start) throw new Error(`no <!-- ${name}:start --> … <!-- ${name}:end --> block`);
  return lines.slice(start + 1, end);
}

// The body rows of the table in `lines` (header and separator dropped), as trimmed cells.
export function tableRows(lines: readonly string[]): string[][] {
  const rows = lines.filter((l) => l.startsWith('|')).map((l) => l.slice(1, l.endsWith('|') ? -1 : undefined).split(/(?<!\\)\|/).map((c) => c.trim()));
  return rows.slice(2);
}

// Every `inline code` span outside fenced blocks, and every line inside fenced blocks.
export function codeFragments(page: string): { inline: string[]; fenced: string[] } {
  const inline: string[] = [];
  const fenced: string[] = [];
  let inFence = false;
  for (const line of page.split('\n')) {
    if (line.trimStart().startsWith('```')) {
      inFence = !inFence;
      continue;
    }
    if (inFence) fenced.push(line);
    else for (const m of line.matchAll(/`([^`]+)`/g)) inline.push(m[1] ?? '');
  }
  return { inline, fenced };
}

// Relative links to Markdown pages: [text](page.md#anchor) → { page, anchor }.
export function pageLinks(page: string): { page: string; anchor: string | undefined }[] {
  return [...page.matchAll(/\]\(([^)#\s]*\.md)?(?:#([^)\s]+))?\)/g)]
    .filter((m) => m[1] !== undefined || m[2] !== undefined)
    .filter((m) => !/^[a-z]+:/.test(m[1] ?? ''))
    .map((m) => ({ page: m[1] ?? '', anchor: m[2] }));
}

// The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces to hyphens.
export function headingAnchors(page: string): Set<string> {
  const anchors = new Set<string>();
  let inFence = false;
  for (const line of page.split('\n')) {
    if (line.trimStart().startsWith('```')) inFence = !inFence;
    const m = !inFence && /^#{1,6}\s+(.*)$/.exec(line);
    if (!m) continue;
    anchors.add((m[1] ?? '').toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').trim().replace(/\s/g, '-'));
  }
  return anchors;
}

// A log line as the docs quote it, as a pattern for the lines the code writes; "…" stands for anything.
// With `addresses`, the quoted ones are put in their place and only measured durations ("11 ms") vary: the
// rest is what this configuration must log. Without, every address and number is an example and stands for any.
export function quotedLinePattern(quoted: string, addresses?: Readonly<Record<string, string>>): RegExp {
  const esc = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const parts = quoted.split(/(…|\d+\.\d+\.\d+\.\d+|\d+(?:\.\d+)?)/);
  const source = parts.map((part, i) => {
    if (i % 2 === 0) return esc(part);
    if (part === '…') return '.*';
    if (/^\d+\.\d+\.\d+\.\d+$/.test(part)) return addresses ? esc(addresses[part] ?? part) : '\\d+\\.\\d+\\.\\d+\\.\\d+';
    const measured = (parts[i + 1] ?? '').startsWith(' ms');
    return addresses && !measured ? esc(part) : '\\d+(?:\\.\\d+)?';
  });
  return new RegExp(`^${source.join('')}$`);
}

// The log lines of a troubleshooting table (the first `code` of each row's first cell) that match `filter`.
export function quotedLogLines(tableLines: readonly string[], filter: RegExp): string[] {
  return tableRows(tableLines)
    .map((r) => /`([^`]+)`/.exec(r[0] ?? '')?.[1])
    .filter((l): l is string => l !== undefined && filter.test(l));
}
