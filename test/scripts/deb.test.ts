// The Debian package (npm run build:deb, scripts/build-deb.sh), built once for this file (gzip: xz would take
// 40 s more) or taken from FLOATD_DEB: its files are what scripts/install.sh lays out with PREFIX=/usr, plus what
// policy asks (compressed man pages, copyright, changelog, conffiles, md5sums); and, as root, it installs,
// works and goes away cleanly with dpkg in a throwaway root (--instdir and --admindir in a temporary
// directory; the maintainer scripts run without chroot and see DPKG_ROOT), leaving nothing on this machine.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const isRoot = process.getuid?.() === 0 || process.env.CI === 'true';
let dir = '';
let deb = '';
let version = '';
let arch = '';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<Result> {
  return new Promise((done) => {
    execFile(file, args, { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}

async function ok(file: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await run(file, args, env);
  expect(r.code, `${file} ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

// Files of a directory tree, relative, sorted.
async function files(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(root, { recursive: true, withFileTypes: true })) if (!e.isDirectory()) out.push(relative(root, join(e.parentPath, e.name)));
  return out.sort();
}

// What the package must hold, from this tree: install.sh's plan with PREFIX=/usr, man pages gzipped, and
// Debian's copyright and changelog; path -> executable.
async function expected(): Promise<Map<string, boolean>> {
  const want = new Map<string, boolean>([
    ['usr/sbin/floatd', true],
    ['usr/lib/floatd/floatd-kernel-helper', true],
    ['usr/lib/systemd/system/floatd@.service', false],
    ['usr/share/doc/floatd/copyright', false],
    ['usr/share/doc/floatd/changelog.gz', false],
    ['usr/share/lintian/overrides/floatd', false],
  ]);
  for (const f of await files(resolve('hooks'))) want.set(`usr/lib/floatd/hooks/${f}`, ((await stat(resolve('hooks', f))).mode & 0o111) !== 0);
  for (const f of (await readdir(resolve('docs'))).filter((n) => n.endsWith('.md'))) want.set(`usr/share/doc/floatd/${f}`, false);
  want.set('usr/share/doc/floatd/README.md', false);
  for (const f of await readdir(resolve('docs/man'))) want.set(`usr/share/man/man8/${f}.gz`, false);
  for (const f of await readdir(resolve('scripts/etc/floatd'))) want.set(`etc/floatd/${f}`, false);
  return want;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'floatd-deb-'));
  ({ version } = JSON.parse(await readFile(resolve('package.json'), 'utf8')) as { version: string });
  arch = (await ok('dpkg', ['--print-architecture'])).trim();
  if (process.env.FLOATD_DEB) {
    deb = resolve(process.env.FLOATD_DEB);
  } else {
    const built = await run('bash', [resolve('scripts/build-deb.sh'), '--out', dir, '--compression', 'gzip']);
    expect(built.code, built.stderr + built.stdout).toBe(0);
    deb = join(dir, `floatd_${version.replaceAll('-', '~')}_${arch}.deb`);
  }
  await ok('dpkg-deb', ['-x', deb, join(dir, 'x')]);
}, 150_000);

afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('the Debian package', () => {
  it('holds the binary, the unit, the hook packs, the man pages, the docs and the example configs, owned by root, and nothing else', async () => {
    const listing = (await ok('dpkg-deb', ['-c', deb])).trim().split('\n').map((l) => l.split(/\s+/));
    const want = await expected();
    const got = new Map<string, string>();
    for (const [mode = '', owner = '', , , , path = ''] of listing) {
      expect(owner, path).toBe('root/root');
      if (mode.startsWith('d')) expect(mode, path).toBe('drwxr-xr-x');
      else got.set(path.replace(/^\.\//, ''), mode);
    }
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [path, exec] of want) expect(got.get(path), path).toBe(exec ? '-rwxr-xr-x' : '-rw-r--r--');
  });

  it('says what it is: name, version of package.json, this architecture, its dependencies', async () => {
    const field = async (name: string) => (await ok('dpkg-deb', ['-f', deb, name])).trim();
    expect(await field('Package')).toBe('floatd');
    expect(await field('Version')).toBe(version.replaceAll('-', '~'));
    expect(await field('Architecture')).toBe(arch);
    expect(await field('Depends')).toMatch(/\biproute2\b/);
    expect(await field('Depends')).toMatch(/\blibc6 \(>= 2\.28\)/);
    expect(await field('Maintainer')).not.toBe('');
    const info = await ok('dpkg-deb', ['-I', deb]);
    for (const script of ['postinst', 'prerm', 'postrm']) expect(info).toMatch(new RegExp(`^ +\\d+ bytes, +\\d+ lines +\\* +${script} +#!/bin/sh$`, 'm'));
  });

  it('makes the example configs conffiles, and lists a checksum for every file', async () => {
    const conffiles = (await ok('dpkg-deb', ['-I', deb, 'conffiles'])).trim().split('\n');
    expect(conffiles).toEqual((await readdir(resolve('scripts/etc/floatd'))).sort().map((f) => `/etc/floatd/${f}`));
    const md5sums = (await ok('dpkg-deb', ['-I', deb, 'md5sums'])).trim().split('\n').map((l) => l.split(/\s+/)[1]);
    expect(md5sums.sort()).toEqual([...(await expected()).keys()].sort());
  });

  it('starts the binary it holds from /usr/sbin, and its binary prints the version', async () => {
    const unit = await readFile(join(dir, 'x/usr/lib/systemd/system/floatd@.service'), 'utf8');
    expect(unit).toMatch(/^ExecStart=\/usr\/sbin\/floatd --state-file /m);
    expect(unit).toMatch(/^ExecStopPost=\/usr\/sbin\/floatd cleanup /m);
    const r = await run(join(dir, 'x/usr/sbin/floatd'), ['--version']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^floatd ${version.replaceAll('.', '\\.')} \\(`));
  });

  it('holds the man pages of this tree, compressed, and man renders them without a warning', async () => {
    for (const page of await readdir(resolve('docs/man'))) {
      const gz = join(dir, 'x/usr/share/man/man8', `${page}.gz`);
      expect(gunzipSync(await readFile(gz)).toString('utf8')).toBe(await readFile(resolve('docs/man', page), 'utf8'));
      const r = await run('man', ['--warnings', '-l', gz], { MANWIDTH: '80' });
      expect([r.code, r.stderr]).toEqual([0, '']);
    }
  });
});

describe.skipIf(!isRoot)('the Debian package installed with dpkg into a throwaway root', () => {
  let root = '';
  let admin = '';
  const dpkg = (...args: string[]) => run('dpkg', [`--instdir=${root}`, `--admindir=${admin}`, '--force-script-chrootless', '--force-depends', '--log=/dev/null', ...args]);
  const status = async () => (await run('dpkg-query', [`--admindir=${admin}`, '-W', '-f=${Status}', 'floatd'])).stdout;
  let hostLog = 0;
  // Lines about floatd in this machine's dpkg log (other packages may come and go meanwhile).
  const floatdLines = async () => (existsSync('/var/log/dpkg.log') ? (await readFile('/var/log/dpkg.log', 'utf8')).split('\n').filter((l) => / floatd:/.test(l)).length : 0);

  beforeAll(async () => {
    root = join(dir, 'root');
    admin = join(dir, 'admin');
    await mkdir(root);
    for (const d of ['info', 'updates', 'triggers']) await mkdir(join(admin, d), { recursive: true });
    for (const f of ['status', 'available']) await writeFile(join(admin, f), '');
    hostLog = await floatdLines();
  });

  it('installs: the binary runs, man finds the pages, systemd-analyze verify accepts the installed unit', async () => {
    const r = await dpkg('-i', deb);
    expect(r.code, r.stderr).toBe(0);
    expect(await status()).toBe('install ok installed');
    expect(await ok(join(root, 'usr/sbin/floatd'), ['--version'])).toMatch(new RegExp(`^floatd ${version.replaceAll('.', '\\.')} `));
    expect((await ok('man', ['-w', 'floatd', 'floatd-witness'], { MANPATH: join(root, 'usr/share/man') })).trim().split('\n')).toEqual([
      join(root, 'usr/share/man/man8/floatd.8.gz'),
      join(root, 'usr/share/man/man8/floatd-witness.8.gz'),
    ]);
    // The unit found by name in the installed tree, its ExecStart= the installed binary: /usr/sbin of the
    // throwaway root is bound over this machine's in a private mount namespace, which ends with the command.
    const verify = await run('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', 'mount --bind "$1/usr/sbin" /usr/sbin && systemd-analyze verify floatd@vip10.service', 'sh', root], { SYSTEMD_UNIT_PATH: `${join(root, 'usr/lib/systemd/system')}:` });
    expect([verify.code, verify.stdout + verify.stderr]).toEqual([0, '']);
  });

  it('removes: everything goes but the conffiles; purge: those and what the agents wrote, not the admin\'s own configs', async () => {
    await writeFile(join(root, 'etc/floatd/vip10.conf'), 'FLOATD_OPTS="-i eth0 -s 10.0.0.1 -v 10 -a 10.0.0.99 -o /etc/floatd/key -z"\n');
    await writeFile(join(root, 'etc/floatd/vip.conf.example'), '# changed here\n', { flag: 'a' });
    await mkdir(join(root, 'var/lib/floatd'), { recursive: true });
    await writeFile(join(root, 'var/lib/floatd/eth0-vhid-10.json'), '{}\n');

    const removed = await dpkg('-r', 'floatd');
    expect(removed.code, removed.stderr).toBe(0);
    expect(await status()).toBe('deinstall ok config-files');
    // The conffiles (every example config this tree ships) stay after a remove, with the admin's own and the run record.
    const examples = (await readdir(resolve('scripts/etc/floatd'))).map((f) => `etc/floatd/${f}`);
    expect(await files(root)).toEqual([...examples, 'etc/floatd/vip10.conf', 'var/lib/floatd/eth0-vhid-10.json'].sort());

    const purged = await dpkg('-P', 'floatd');
    expect(purged.code, purged.stderr).toBe(0);
    expect(await status()).toBe('');
    expect(await files(root)).toEqual(['etc/floatd/vip10.conf']);
  });

  it('left nothing on this machine: no floatd in /usr/sbin, no line in dpkg\'s log', async () => {
    expect(existsSync('/usr/sbin/floatd')).toBe(false);
    expect(existsSync('/usr/share/man/man8/floatd.8.gz')).toBe(false);
    expect(await floatdLines()).toBe(hostLog);
  });
});
