#!/usr/bin/env node
// Compiles floatd-kernel-helper (src/net/kernel-helper.c, the kernel channel's helper: src/net/kernel-helper.ts)
// with the system's C compiler: part of `npm run build` and of `npm run build:binary`, which ships it beside
// the binary. Needs a C compiler and the C library's and the kernel's headers (Debian: gcc, libc6-dev).
//
//   node scripts/build-helper.mjs [--out FILE]     (default dist/floatd-kernel-helper; $CC, else cc)
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// Warnings are errors: the helper is small, and a warning in it is a bug until shown otherwise.
export const CFLAGS = ['-O2', '-Wall', '-Wextra', '-Werror'];

// Compiles the helper to `out` (written beside it first, then renamed: a running helper is never written into).
export function buildHelper(out = join(root, 'dist', 'floatd-kernel-helper')) {
  const cc = process.env.CC || 'cc';
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.tmp`;
  const r = spawnSync(cc, [...CFLAGS, '-o', tmp, join(root, 'src', 'net', 'kernel-helper.c')], { encoding: 'utf8' });
  if (r.error) throw new Error(`build-helper: cannot run the C compiler "${cc}" (${r.error.message}): install gcc and libc6-dev (Debian), or set CC`);
  if (r.status !== 0) {
    rmSync(tmp, { force: true });
    throw new Error(`build-helper: ${cc} failed:\n${r.stderr}${r.stdout}`);
  }
  renameSync(tmp, out);
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  try {
    buildHelper(i === -1 ? undefined : resolve(process.argv[i + 1] ?? ''));
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}
