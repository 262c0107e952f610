#!/usr/bin/env node
// npm run build:binary: floatd as one executable (a Node single executable application, docs/install.md).
// esbuild bundles src/cli.ts and its dependencies into one CommonJS file (Node 20 runs only CommonJS as
// the main script of such a binary, with built-in modules only); node --experimental-sea-config turns it
// into a blob, and postject injects the blob into a copy of the node running this script, behind Node's
// sentinel fuse. Nothing is downloaded: the node binary is this one, the tools are npm dev dependencies.
//
//   node scripts/build-binary.mjs [--out FILE]     (default dist/floatd; work files in a temporary directory;
//                                                  the kernel helper beside it: dist/floatd-kernel-helper)
//   node scripts/build-binary.mjs --bundle-only --out FILE.cjs   (only the self-contained bundle, for node to run:
//                                                  tests run it as another user, who may not read the checkout)
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import postject from 'postject';
import { buildHelper } from './build-helper.mjs';
import { buildInfo } from './build-info.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// Node's documented fuse for single executable applications: postject flips it so node runs the blob.
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const MIN_NODE = [20, 12]; // node:sea (isSea) and --experimental-sea-config with code cache

function fail(message) {
  process.stderr.write(`build-binary: ${message}\n`);
  process.exit(1);
}

function outArg(argv) {
  const i = argv.indexOf('--out');
  if (i === -1) return join(root, 'dist', 'floatd');
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('-')) fail('--out needs a file name');
  return resolve(v);
}

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < MIN_NODE[0] || (major === MIN_NODE[0] && minor < MIN_NODE[1])) fail(`needs node >= ${MIN_NODE.join('.')}, this is ${process.version}`);
if (process.platform !== 'linux') fail(`builds a Linux binary only (this is ${process.platform})`);

const out = outArg(process.argv.slice(2));
const t0 = Date.now();
// Private work files: two builds at once (a test and a developer) cannot mix their bundles.
const work = await mkdtemp(join(tmpdir(), 'floatd-build-binary-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
await mkdir(dirname(out), { recursive: true });

// import.meta.url does not exist in CommonJS: it becomes the bundle's own file URL, which is right when the
// bundle is run by node and unused inside the binary (selfCommand asks node:sea first).
const bundle = join(work, 'floatd.cjs');
const info = buildInfo();
await build({
  entryPoints: [join(root, 'src', 'cli.ts')],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  target: `node${major}`,
  format: 'cjs',
  // FLOATD_BUILD_INFO: the version and commit for --version (src/cli/version.ts), as a JSON string (a string is
  // inlined where it is used; an object would be a module of its own); the binary has no files beside it.
  define: { 'import.meta.url': '__floatd_import_meta_url', FLOATD_BUILD_INFO: JSON.stringify(JSON.stringify(info)) },
  banner: { js: 'const __floatd_import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
  logLevel: 'warning',
});
if (process.argv.includes('--bundle-only')) {
  await copyFile(bundle, out);
  await chmod(out, 0o644);
  process.stdout.write(`build-binary: ${out} (bundle only) in ${Date.now() - t0} ms\n`);
  process.exit(0);
}

const config = join(work, 'sea-config.json');
const blob = join(work, 'floatd.blob');
// useCodeCache: the bundle's compiled code goes into the blob, so the binary starts without compiling it.
await writeFile(config, `${JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true }, null, 2)}\n`);
const sea = spawnSync(process.execPath, ['--experimental-sea-config', config], { encoding: 'utf8' });
if (sea.status !== 0) fail(`node --experimental-sea-config failed:\n${sea.stderr}${sea.stdout}`);

// A copy of this node, without its symbols when strip(1) is there (13 MB less with NodeSource's build;
// stripped before the injection, never after: the blob lives in a note of its own).
const tmp = `${out}.tmp`;
await rm(tmp, { force: true });
await copyFile(process.execPath, tmp);
await chmod(tmp, 0o755);
const strip = spawnSync('strip', ['--strip-all', tmp], { encoding: 'utf8' });
const stripped = strip.status === 0;
if (!stripped && strip.error === undefined) fail(`strip ${tmp} failed:\n${strip.stderr}`);

// postject (LIEF) warns on stderr about NodeSource's many note sections; the result is checked below.
const warn = console.warn;
const log = console.log;
console.warn = () => {};
console.log = () => {};
try {
  await postject.inject(tmp, 'NODE_SEA_BLOB', await readFile(blob), { sentinelFuse: SEA_FUSE });
} finally {
  console.warn = warn;
  console.log = log;
}

// The kernel channel's helper, beside the binary (the agent looks there first; scripts/install.sh installs
// it in /usr/lib/floatd): a program of its own on disk, not an asset written out at each start.
let helper;
try {
  helper = buildHelper(join(dirname(out), 'floatd-kernel-helper'));
} catch (err) {
  fail(err.message);
}

// The binary must run on its own before it replaces an older one.
const check = spawnSync(tmp, ['--help'], { encoding: 'utf8', cwd: '/' });
if (check.status !== 0 || !/--interface/.test(check.stdout)) fail(`the built binary does not run (${check.status}):\n${check.stderr}${check.stdout}`);
await rename(tmp, out);

const size = (await stat(out)).size;
process.stdout.write(`build-binary: ${out} (${(size / 2 ** 20).toFixed(1)} MiB, node ${process.version}${stripped ? ', stripped' : ', not stripped: no strip(1)'}) and ${helper} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
