// floatd's version and commit, fixed at build time by scripts/build-info.mjs: npm run build writes
// dist/build-info.json, the single binary has them compiled in. Read by `floatd --version` and the metrics.
import { readFileSync } from 'node:fs';

export interface BuildInfo {
  version: string;
  commit?: string; // git commit of the tree it was built from; "-dirty" when that tree had changes
}

// BuildInfo as JSON, defined by esbuild in the single binary (scripts/build-binary.mjs), which has no files beside it.
declare const FLOATD_BUILD_INFO: string | undefined;

// Where a build run from the tree finds it: dist/build-info.json, else (not built: tests run src/) package.json.
const SOURCES = ['../build-info.json', '../../package.json'] as const;

export function buildInfo(): BuildInfo {
  if (typeof FLOATD_BUILD_INFO !== 'undefined') return parse(FLOATD_BUILD_INFO) ?? { version: 'unknown' };
  for (const source of SOURCES) {
    let text: string;
    try {
      text = readFileSync(new URL(source, import.meta.url), 'utf8');
    } catch {
      continue; // not there: the next source
    }
    const info = parse(text);
    if (info !== undefined) return info;
  }
  return { version: 'unknown' };
}

function parse(text: string): BuildInfo | undefined {
  try {
    const { version, commit } = JSON.parse(text) as Partial<BuildInfo>;
    if (typeof version !== 'string') return undefined;
    return typeof commit === 'string' ? { version, commit } : { version };
  } catch {
    return undefined;
  }
}

// One line, for scripts and bug reports: "floatd 0.1.0 (commit 63fd4e4e1c2a, node v20.20.2)".
