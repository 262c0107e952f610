// scripts/install.sh into a DESTDIR, run as a packager or an admin would: from a copy of the tree (so a "next
// version" can ship changed files), twice (nothing touched), over an admin's edit (kept), with a next version
// that changes that config (refused, nothing applied), with --keep-config, and with a hook dropped upstream.
import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dir: string;
let tree: string; // the release tree install.sh runs from
let dest: string; // DESTDIR

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function install(args: string[] = [], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((done) => {
    execFile('bash', [join(tree, 'scripts/install.sh'), ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', DESTDIR: dest, ...env } }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}

// Every file under DESTDIR with its mode, content hash and mtime: equal snapshots mean nothing was touched.
async function snapshot(root = dest): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    const s = await stat(path);
    out[relative(root, path)] = `${(s.mode & 0o7777).toString(8)} ${createHash('sha256').update(await readFile(path)).digest('hex').slice(0, 16)} ${s.mtimeMs}`;
  }
  return out;
}

const at = (p: string) => join(dest, p);

describe('scripts/install.sh', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'floatd-install-'));
    tree = join(dir, 'tree');
    dest = join(dir, 'dest');
    for (const p of ['scripts/install.sh', 'scripts/systemd', 'scripts/etc', 'hooks', 'docs', 'README.md']) await cp(resolve(p), join(tree, p), { recursive: true });
    await mkdir(join(tree, 'dist'));
    await writeFile(join(tree, 'dist/floatd'), '#!/bin/sh\necho floatd v1\n', { mode: 0o755 });
    await writeFile(join(tree, 'dist/floatd-kernel-helper'), '#!/bin/sh\necho helper v1\n', { mode: 0o755 });
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('refuses to start without a built binary, saying how to build one', async () => {
    const r = await install(['--binary', join(dir, 'no-such-floatd')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the binary ".*no-such-floatd" is missing .*npm run build:binary/);
    await expect(stat(dest)).rejects.toThrow();
  });

  it('refuses to start without the kernel helper beside the binary', async () => {
    const r = await install(['--helper', join(dir, 'no-such-helper')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the kernel helper ".*no-such-helper" is missing .*npm run build:binary/);
    await expect(stat(dest)).rejects.toThrow();
  });

  it('puts the binary, unit, hook packs, example configs and docs in the usual places', async () => {
    const r = await install();
    expect(r.code, r.stderr).toBe(0);
    expect(await readFile(at('usr/local/sbin/floatd'), 'utf8')).toContain('floatd v1');
    expect((await stat(at('usr/local/sbin/floatd'))).mode & 0o777).toBe(0o755);
    expect(await readFile(at('usr/lib/floatd/floatd-kernel-helper'), 'utf8')).toContain('helper v1');
    expect((await stat(at('usr/lib/floatd/floatd-kernel-helper'))).mode & 0o777).toBe(0o755);
    const unit = await readFile(at('usr/local/lib/systemd/system/floatd@.service'), 'utf8');
    expect(unit).toMatch(/^ExecStart=\/usr\/local\/sbin\/floatd --state-file /m);
    expect(unit).toMatch(/^EnvironmentFile=\/etc\/floatd\/%i\.conf$/m);
    expect(unit).toMatch(/^Environment=FLOATD_KERNEL_HELPER=\/usr\/lib\/floatd\/floatd-kernel-helper$/m);
    expect((await stat(at('usr/lib/floatd/hooks/ucarp/vip-up'))).mode & 0o777).toBe(0o755);
    expect((await stat(at('usr/lib/floatd/hooks/mfs/up.d/50-ready-vip'))).mode & 0o777).toBe(0o755);
    expect((await stat(at('usr/lib/floatd/hooks/mfs/lib/mfs-common.sh'))).mode & 0o777).toBe(0o644);
    expect(await readFile(at('etc/floatd/vip.conf.example'), 'utf8')).toMatch(/^FLOATD_OPTS="-i eth0 /m);
    expect(await readFile(at('etc/floatd/mfs.env.example'), 'utf8')).toMatch(/MFS_STRATEGY/);
    for (const hook of ['nfs/prepare.d/10-mount-shared', 'nfs/takeover-check', 'service/prepare.d/20-start', 'service/check']) expect((await stat(at(`usr/lib/floatd/hooks/${hook}`))).mode & 0o777, hook).toBe(0o755);
    for (const lib of ['nfs/lib/nfs-common.sh', 'nfs/lib/nfs-ganesha.sh', 'service/lib/service-common.sh']) expect((await stat(at(`usr/lib/floatd/hooks/${lib}`))).mode & 0o777, lib).toBe(0o644);
    expect(await readFile(at('etc/floatd/nfs.env.example'), 'utf8')).toMatch(/NFS_SHARED_DEVICE/);
    expect(await readFile(at('etc/floatd/service.env.example'), 'utf8')).toMatch(/SERVICE_UNITS/);
    expect(await readFile(at('usr/share/doc/floatd/operations.md'), 'utf8')).toMatch(/systemd/);
    for (const page of ['floatd.8', 'floatd-witness.8']) {
      expect(await readFile(at(`usr/local/share/man/man8/${page}`), 'utf8')).toMatch(/^\.TH FLOATD/m);
      expect((await stat(at(`usr/local/share/man/man8/${page}`))).mode & 0o777).toBe(0o644);
    }
    // Where the unit's Documentation= points.
    expect(unit).toContain('file:/usr/share/doc/floatd/operations.md');
  });

  it('run again, it changes nothing at all (contents, modes and mtimes), and ends with the line docs/install.md quotes', async () => {
    const before = await snapshot();
    const r = await install();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/0 installed, 0 updated, 0 config\(s\) kept, 0 removed, \d+ unchanged/);
    expect(await snapshot()).toEqual(before);
    // The doc's N is the number of files shipped: one manifest line each.
    const quoted = /`(floatd-install: 0 installed, [^`]* unchanged)`/.exec(await readFile(resolve('docs/install.md'), 'utf8'))?.[1];
    expect(quoted).toBeDefined();
    const shipped = (await readFile(at('usr/lib/floatd/install.manifest'), 'utf8')).split('\n').filter(Boolean).length;
    const last = r.stdout.trimEnd().split('\n').at(-1) ?? '';
    expect(last.replace(/ \(under .*\)$/, '')).toBe(quoted?.replace(/\bN unchanged$/, `${shipped} unchanged`));
  });

  it('keeps a config the admin changed when this version ships the same one', async () => {
    await writeFile(at('etc/floatd/vip.conf.example'), 'FLOATD_OPTS="-i eth1 -s 10.0.0.2 -v 10 -a 10.0.0.99 -o /etc/floatd/key"\n');
    const r = await install();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/kept \/etc\/floatd\/vip\.conf\.example as changed here/);
    expect(await readFile(at('etc/floatd/vip.conf.example'), 'utf8')).toMatch(/-i eth1/);
  });

  it('refuses a next version that ships a new copy of that changed config, and applies none of it', async () => {
    await writeFile(join(tree, 'dist/floatd'), '#!/bin/sh\necho floatd v2\n', { mode: 0o755 });
    await writeFile(join(tree, 'scripts/etc/floatd/vip.conf.example'), `${await readFile(join(tree, 'scripts/etc/floatd/vip.conf.example'), 'utf8')}# v2\n`);
    await writeFile(join(tree, 'scripts/etc/floatd/mfs.env.example'), `${await readFile(join(tree, 'scripts/etc/floatd/mfs.env.example'), 'utf8')}# v2\n`);
    const before = await snapshot();
    const r = await install();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\/etc\/floatd\/vip\.conf\.example was changed since floatd installed it, and this version ships a new one: not overwriting it/);
    expect(r.stderr).toMatch(/diff -u .*etc\/floatd\/vip\.conf\.example/);
    expect(r.stderr).toMatch(/--keep-config/);
    expect(r.stderr).toMatch(/nothing was installed or changed \(1 changed config file\(s\)/);
    // Not the binary, not the other config, not the manifest: the install is as it was.
    expect(await snapshot()).toEqual(before);
    expect(await readFile(at('usr/local/sbin/floatd'), 'utf8')).toContain('floatd v1');
  });

  it('with --keep-config installs the rest and leaves the admin\'s config as it is', async () => {
    const r = await install(['--keep-config']);
    expect(r.code, r.stderr).toBe(0);
    expect(await readFile(at('usr/local/sbin/floatd'), 'utf8')).toContain('floatd v2');
    expect(await readFile(at('etc/floatd/mfs.env.example'), 'utf8')).toMatch(/# v2\n$/);
    expect(await readFile(at('etc/floatd/vip.conf.example'), 'utf8')).toMatch(/-i eth1/);
    // Kept against this version: the next run of the same version has nothing to ask.
    const again = await install();
    expect(again.code, again.stderr).toBe(0);
  });

  it('removes a hook this version no longer ships (it would still run), never a file the admin added', async () => {
    await rm(join(tree, 'hooks/mfs/up.d/50-ready-vip'));
    await writeFile(at('usr/lib/floatd/hooks/mfs/up.d/60-local'), '#!/bin/sh\n', { mode: 0o755 });
    const r = await install();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/removed \/usr\/lib\/floatd\/hooks\/mfs\/up\.d\/50-ready-vip \(no longer shipped\)/);
    await expect(stat(at('usr/lib/floatd/hooks/mfs/up.d/50-ready-vip'))).rejects.toThrow();
    expect((await stat(at('usr/lib/floatd/hooks/mfs/up.d/60-local'))).isFile()).toBe(true);
  });

  it('follows PREFIX for the binary, the unit and the man pages (a packager\'s /usr)', async () => {
    const packaged = join(dir, 'packaged');
    const r = await install([], { DESTDIR: packaged, PREFIX: '/usr' });
    expect(r.code, r.stderr).toBe(0);
    expect(Object.keys(await snapshot(packaged))).toEqual(expect.arrayContaining(['usr/sbin/floatd', 'usr/lib/systemd/system/floatd@.service', 'usr/lib/floatd/hooks/ucarp/vip-down', 'etc/floatd/vip.conf.example', 'usr/share/man/man8/floatd.8', 'usr/share/man/man8/floatd-witness.8']));
    expect(await readFile(join(packaged, 'usr/lib/systemd/system/floatd@.service'), 'utf8')).toMatch(/^ExecStart=\/usr\/sbin\/floatd /m);
  });

  it('leaves the mode an admin gave a config (chmod 600) as it is', async () => {
    await chmod(at('etc/floatd/mfs.env.example'), 0o600);
    const r = await install();
    expect(r.code, r.stderr).toBe(0);
    expect((await stat(at('etc/floatd/mfs.env.example'))).mode & 0o777).toBe(0o600);
  });
});
