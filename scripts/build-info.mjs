#!/usr/bin/env node
// What `floatd --version` reports, fixed when floatd is built: the version in package.json and the git commit
// of the tree it was built from (with "-dirty" when tracked files differ from it; none outside a git checkout).
// npm run build writes it to dist/build-info.json; scripts/build-binary.mjs compiles it into the binary.
//
//   node scripts/build-info.mjs          writes dist/build-info.json
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function git(args) {
  const r = spawnSync('git', ['-C', root, ...args], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

// { version, commit? } of this tree now.
export function buildInfo() {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const head = git(['rev-parse', '--short=12', 'HEAD']);
  if (head === undefined) return { version };
  const dirty = (git(['status', '--porcelain', '--untracked-files=no']) ?? '') !== '';
  return { version, commit: dirty ? `${head}-dirty` : head };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(join(root, 'dist', 'build-info.json'), `${JSON.stringify(buildInfo())}\n`);
}
