// floatd --version (-V): the version of package.json and the git commit, fixed when floatd was built
// (scripts/build-info.mjs), from dist/ and from the bundle the single binary is made of. Run `npm run build` first.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { versionLine } from '../../src/cli/version.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist/cli.js');
let dir = '';
let version = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'floatd-version-'));
  ({ version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string });
});

afterAll(async () => rm(dir, { recursive: true, force: true }));

// The commit of this checkout as build-info.mjs names it, or undefined outside a git checkout.
function headCommit(): string | undefined {
  const head = spawnSync('git', ['-C', ROOT, 'rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8' });
  return head.status === 0 ? head.stdout.trim() : undefined;
}

describe('versionLine', () => {
  it('names the version, the commit and the node it runs on, on one line', () => {
    expect(versionLine({ version: '1.2.3', commit: 'abcdef012345' }, 'v20.1.0')).toBe('floatd 1.2.3 (commit abcdef012345, node v20.1.0)');
    expect(versionLine({ version: '1.2.3' }, 'v20.1.0')).toBe('floatd 1.2.3 (node v20.1.0)');
  });
});

describe('floatd --version', () => {
  it.each(['--version', '-V'])('%s prints the package version and the commit npm run build recorded, and exits 0', async (flag) => {
    const r = await execa('node', [CLI, flag], { reject: false, cwd: dir });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('');
    const info = JSON.parse(await readFile(join(ROOT, 'dist/build-info.json'), 'utf8')) as { version: string; commit?: string };
    expect(info.version).toBe(version);
    expect(r.stdout).toBe(versionLine(info));
    // The commit of the tree at `npm run build`: this checkout's HEAD or one before it (a commit since the build).
    if (headCommit() !== undefined) {
      expect(info.commit).toMatch(/^[0-9a-f]{12}(-dirty)?$/);
      const ancestor = spawnSync('git', ['-C', ROOT, 'merge-base', '--is-ancestor', (info.commit ?? '').replace(/-dirty$/, ''), 'HEAD']);
      expect(ancestor.status).toBe(0);
    }
  });

  it('is in the bundle the binary is made of, which has no package.json or build-info.json beside it', async () => {
    const bundle = join(dir, 'floatd.cjs');
    const built = await execa('node', [join(ROOT, 'scripts/build-binary.mjs'), '--bundle-only', '--out', bundle], { reject: false });
    expect(built.exitCode, built.stderr).toBe(0);
    const r = await execa('node', [bundle, '--version'], { reject: false, cwd: '/' });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^floatd ${version.replaceAll('.', '\\.')} \\((commit [0-9a-f]{12}(-dirty)?, )?node v\\d+\\.\\d+\\.\\d+\\)$`));
    if (headCommit() !== undefined) expect(r.stdout).toContain(`commit ${headCommit()}`);
  });

  it('is not an agent flag: --help lists it once, beside --help', async () => {
    const r = await execa('node', [CLI, '--help'], { reject: false });
    expect(r.stdout.match(/-V, --version/g)).toHaveLength(1);
    expect(r.stdout).toMatch(/-h, --help/);
  });
});
