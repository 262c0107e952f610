// A lab host with floatd installed by scripts/install.sh, for running the docs' commands as written: the
// install goes into a DESTDIR of its own, and a process kept in the host's namespace mounts it where the docs
// say (overlays on /etc, /usr/local and /var/lib, so /etc/floatd, /usr/local/sbin/floatd and the run record
// are this host's while the rest of the system stays visible; a bind of its own /run), without touching the
// machine's.
// Commands and agents enter that mount namespace with nsenter. systemd is emulated from the installed unit:
// its EnvironmentFile=, ExecStart= and ExecStopPost= with the variables systemd gives the last one.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { AgentProcess, Lab, LabHost, RunResult } from '../support/netns.js';

const INSTALL = fileURLToPath(new URL('../../scripts/install.sh', import.meta.url));
// The kernel helper `npm run build` wrote: installed beside the test's binary as a build would ship it.
const HELPER = fileURLToPath(new URL('../../dist/floatd-kernel-helper', import.meta.url));
const UNIT = 'usr/local/lib/systemd/system/floatd@.service';
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

// How the main process ended, as systemd tells ExecStopPost= (systemd.exec(5)).
export const CLEAN_EXIT = { SERVICE_RESULT: 'success', EXIT_CODE: 'exited', EXIT_STATUS: '0' };
export const KILLED = { SERVICE_RESULT: 'signal', EXIT_CODE: 'killed', EXIT_STATUS: 'KILL' };

export class InstalledHost {
  readonly host: LabHost;
  readonly root: string;
  private readonly lab: Lab;
  private readonly holder: ChildProcess;

  private constructor(lab: Lab, host: LabHost, root: string, holder: ChildProcess) {
    this.lab = lab;
    this.host = host;
    this.root = root;
    this.holder = holder;
  }

  // Installs `binary` with scripts/install.sh into DESTDIR=<lab dir>/root-<host>, then mounts it for the host.
  static async install(lab: Lab, host: LabHost, binary: string): Promise<InstalledHost> {
    const root = join(lab.dir, `root-${host.name}`);
    const r = await new Promise<RunResult>((done) =>
      execFile('bash', [INSTALL, '--binary', binary, '--helper', HELPER], { env: { PATH, DESTDIR: root } }, (err, stdout, stderr) => done({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr })),
    );
    if (r.code !== 0) throw new Error(`install.sh for ${host.name}: ${r.stderr}`);
    // /var/lib too: the run record (/var/lib/floatd) is the host's own, never the machine's.
    const overlays = ['/etc', '/usr/local', '/var/lib'];
    for (const d of [...overlays.flatMap((o) => [o, `.work${o}`]), 'run']) mkdirSync(join(root, d), { recursive: true });
    const mounts = [...overlays.map((o) => `mount -t overlay overlay -o lowerdir=${o},upperdir=${root}${o},workdir=${root}/.work${o} ${o}`), `mount --bind ${root}/run /run`];
    // ip netns exec gives the shell a mount namespace of its own (slave to the machine's): the mounts stay in it.
    const holder = spawn('ip', ['netns', 'exec', host.ns, 'sh', '-c', `set -e; ${mounts.join('; ')}; echo ready; exec sleep 600`], { stdio: ['ignore', 'pipe', 'pipe'] });
    const installed = new InstalledHost(lab, host, root, holder);
    await new Promise<void>((resolve, reject) => {
      let stderr = '';
      holder.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      createInterface({ input: holder.stdout }).once('line', () => resolve());
      holder.once('close', (code) => reject(new Error(`mounting the install of ${host.name} failed (exit ${String(code)}): ${stderr}`)));
    });
    return installed;
  }

  // The argv prefix that runs a command as this host sees the system.
  private get enter(): string[] {
    return ['nsenter', '-t', String(this.holder.pid), '-m', '--', 'env', `PATH=${PATH}`];
  }

  // A shell command line, as root types it on this host.
  sh(command: string, env: Record<string, string> = {}): Promise<RunResult> {
    return this.lab.exec(this.host, [...this.enter, ...Object.entries(env).map(([k, v]) => `${k}=${v}`), 'sh', '-c', command], 30_000);
  }

  async read(path: string): Promise<string> {
    const r = await this.sh(`cat ${path}`);
    if (r.code !== 0) throw new Error(`cat ${path} on ${this.host.name}: ${r.stderr}`);
    return r.stdout;
  }

  // Writes through the mounts (never into the overlay's upper directory behind its back), with `mode`.
  async write(path: string, text: string, mode: string): Promise<void> {
    const r = await this.sh(`install -m ${mode} /dev/null ${path} && printf %s ${Buffer.from(text).toString('base64')} | base64 -d > ${path}`);
    if (r.code !== 0) throw new Error(`writing ${path} on ${this.host.name}: ${r.stderr}`);
  }

  // systemctl start floatd@NAME: ExecStart= of the installed unit with its EnvironmentFile= read now.
  async start(instance: string): Promise<AgentProcess> {
    const unit = await this.unit(instance);
    return this.lab.spawnAgent(this.host, unit.execStart, { program: this.enter });
  }

  // ExecStopPost= after the main process ended as `exit` says (CLEAN_EXIT, KILLED).
  async stopPost(instance: string, exit: Record<string, string>): Promise<RunResult> {
    const unit = await this.unit(instance);
    return this.lab.exec(this.host, [...this.enter, ...Object.entries(exit).map(([k, v]) => `${k}=${v}`), ...unit.execStopPost], 30_000);
  }

  // Ends the mount namespace's holder (the agents are the lab's to stop).
  close(): void {
    if (this.holder.exitCode === null && this.holder.pid !== undefined) process.kill(this.holder.pid, 'SIGKILL');
  }

  // The unit's commands for one instance, expanded as systemd does: %i, and an unquoted $VAR split at whitespace.
  private async unit(instance: string): Promise<{ execStart: string[]; execStopPost: string[] }> {
    const text = readFileSync(join(this.root, UNIT), 'utf8').replaceAll('%i', instance);
    const setting = (key: string) => {
      const m = new RegExp(`^${key}=(.*)$`, 'm').exec(text);
      if (!m?.[1]) throw new Error(`the installed unit has no ${key}=`);
      return m[1];
    };
    const env = parseEnvironmentFile(await this.read(setting('EnvironmentFile')));
    const expand = (line: string) => line.split(/\s+/).filter(Boolean).flatMap((w) => (w.startsWith('$') ? (env[w.slice(1)] ?? '').split(/\s+/).filter(Boolean) : [w]));
    return { execStart: expand(setting('ExecStart')), execStopPost: expand(setting('ExecStopPost')) };
  }
}

// KEY=VALUE lines as systemd's EnvironmentFile= reads them: comments skipped, one pair of quotes removed.
export function parseEnvironmentFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m?.[1]) env[m[1]] = (m[2] ?? '').trim().replace(/^"(.*)"$/, '$1');
  }
  return env;
}
