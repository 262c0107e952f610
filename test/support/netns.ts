// Throwaway network labs for end-to-end tests: floatd hosts and an observer, each in its own network
// namespace, joined by one bridge in the root namespace. The bridge has no address and ARP off, so the
// machine itself never answers for, or routes to, a lab address.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeEach, expect } from 'vitest';

// RFC 5737 TEST-NET-2, used only inside the lab's namespaces: hosts are .11, .12, …; the observer is .2.
export const LAB_NET = '198.51.100';
const OBSERVER_IP = `${LAB_NET}.2`;
// Added and removed once in a lab namespace to prove the address monitor is listening; filtered out of its log.
const SENTINEL_IP = `${LAB_NET}.254`;
export const CLI_PATH = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface LabOptions {
  hosts: number;
  observer?: boolean;
  prefix?: string; // default: "fd" + 4 random hex digits, unique per run
  // Hosts get 2001:db8::<n> too (RFC 3849), the observer 2001:db8::2; IPv6 stays off on the bridge and
  // its ports in the root namespace, so the machine itself never takes part.
  ipv6?: boolean;
}

// RFC 3849 documentation prefix, only inside the lab's namespaces.
export const LAB_NET6 = '2001:db8::';

// One namespace of the lab and its end of the veth pair that plugs it into the bridge.
export interface LabHost {
  name: string; // "h1", "h2", … or "obs"
  ns: string;
  iface: string;
  ip: string;
  ip6?: string; // with LabOptions.ipv6
  mac: string;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

// Why the lab cannot run here, or undefined when it can (root and a working `ip netns`).
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `needs Linux, this is ${process.platform}`;
  if (process.getuid?.() !== 0) return 'needs root for ip netns';
  const r = runSync('ip', ['netns', 'list']);
  if (r.code !== 0) return `ip netns is unavailable: ${r.stderr.trim() || `exit ${String(r.code)}`}`;
  return undefined;
}

// Builds a lab; a lab that fails half-way is torn down before the error is rethrown.
export async function createLab(opts: LabOptions): Promise<Lab> {
  const lab = new Lab(opts.prefix ?? `fd${randomBytes(2).toString('hex')}`);
  try {
    await lab.build(opts);
  } catch (err) {
    await lab.teardown();
    throw err;
  }
  return lab;
}

// A built lab: its hosts, the agents started in it, and ways to look at both.
export class Lab {
  readonly prefix: string;
  readonly bridge: string;
  readonly dir: string;
  readonly secretFile: string;
  readonly hosts: LabHost[] = [];
  observer: LabHost | undefined;
  readonly addresses = new AddressMonitor();
  readonly createdAt = performance.now(); // report() times are relative to this
  private readonly namespaces: string[] = [];
  private readonly links: string[] = []; // root-namespace links we created: bridge ports first, the bridge last
  private readonly agents = new Set<AgentProcess>();
  private torn = false;
  private ipv6 = false;

  constructor(prefix: string) {
    if (!/^[a-z0-9]{2,8}$/.test(prefix)) throw new Error(`lab prefix must be 2–8 lowercase letters or digits, got "${prefix}"`);
    this.prefix = prefix;
    this.bridge = `${prefix}br`;
    this.dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
    this.secretFile = join(this.dir, 'secret');
    writeFileSync(this.secretFile, `lab-${prefix}-secret\n`, { mode: 0o600 });
    live.add(this);
    installExitHandlers();
  }

  async build(opts: LabOptions): Promise<void> {
    const clash = this.leftovers();
    if (clash.length > 0) throw new Error(`lab prefix "${this.prefix}" is already in use: ${clash.join(', ')}`);
    // No IGMP snooping: without a querier the bridge would forward a group only to ports it saw join,
    // which a restarted agent may not have re-announced yet. No br_netfilter: the root firewall stays out.
    this.ipv6 = opts.ipv6 === true;
    this.links.push(this.bridge);
    ipSync('link', 'add', this.bridge, 'type', 'bridge', 'mcast_snooping', '0', 'nf_call_iptables', '0', 'nf_call_ip6tables', '0', 'nf_call_arptables', '0');
    ipSync('link', 'set', this.bridge, 'arp', 'off');
    if (this.ipv6) noIPv6(this.bridge);
    ipSync('link', 'set', this.bridge, 'up');
    const nodes: [string, string][] = Array.from({ length: opts.hosts }, (_, i) => [`h${i + 1}`, `${LAB_NET}.${11 + i}`]);
    if (opts.observer) nodes.push(['obs', OBSERVER_IP]);
    for (const [name] of nodes) this.plug(name);
    await this.addresses.start(this.nsNames(), this.namespaces[0] ?? '');
    for (const [name, ip] of nodes) {
      const last = Number(ip.split('.')[3]);
      const host: LabHost = { name, ns: this.nsOf(name), iface: this.ifaceOf(name), ip, mac: '', ...(this.ipv6 ? { ip6: `${LAB_NET6}${last.toString(16)}` } : {}) };
      this.addHostAddress(host);
      if (name === 'obs') this.observer = host;
      else this.hosts.push(host);
    }
  }

  // A host by name ("h1", "obs").
  host(name: string): LabHost {
    const h = name === 'obs' ? this.observer : this.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`lab ${this.prefix} has no host "${name}"`);
    return h;
  }

  // The root-namespace end of a host's veth pair, its port on the bridge: tc there cuts or shapes the host's
  // traffic from outside, while the host's own link stays up.
  bridgePort(host: LabHost): string {
    return this.portOf(host.name);
  }

  // Re-creates a host's link after a test deleted it (a VLAN or bond rebuilt, a network manager restart):
  // the same names, a new veth pair and bridge port, up, then (unless `address: false`) the same /24
  // address. The interface gets a new ifindex and MAC.
  recreateLink(host: LabHost, opts: { address?: boolean } = {}): void {
    this.veth(host.name);
    if (opts.address ?? true) this.addHostAddress(host);
  }

  // Puts a host's own /24 address (back) on its interface.
  addHostAddress(host: LabHost): void {
    ipSync('-n', host.ns, 'addr', 'add', `${host.ip}/24`, 'dev', host.iface);
    if (host.ip6 !== undefined) ipSync('-n', host.ns, 'addr', 'add', `${host.ip6}/64`, 'dev', host.iface, 'nodad');
    const link = JSON.parse(ipSync('-n', host.ns, '-j', 'link', 'show', 'dev', host.iface)) as { address: string }[];
    host.mac = link[0]?.address ?? '';
  }

  // Runs a command inside a host's namespace; never throws on a non-zero exit.
  exec(host: LabHost, cmd: readonly string[], timeoutMs = 10_000): Promise<RunResult> {
    return run('ip', ['netns', 'exec', host.ns, ...cmd], timeoutMs);
  }

  // The ucarp-style flags every lab agent needs; append -b, -k, -z, --hooks-dir and so on.
  agentArgs(host: LabHost, vhid: number, vip: string): string[] {
    const state = join(this.dir, `${host.name}-vhid${vhid}.json`);
    // The hosts share one file system: each agent needs its own control socket.
    const control = state.replace(/\.json$/, '.sock');
    return ['-i', host.iface, '-s', host.ip, '-v', String(vhid), '-a', vip, '-o', this.secretFile, '--state-file', state, '--run-record', state.replace(/\.json$/, '.record.json'), '--control-socket', control, '--log-format', 'json'];
  }

  // Starts dist/cli.js in the host's namespace. The agent leads its own process group, so teardown
  // also catches the arping and hook processes it leaves behind. With `terminal`, script(1) runs it on a
  // fresh pseudo-terminal and copies what it writes there to our pipe: the spawned process is then
  // script, the agent its child (sh and ip netns exec both exec), and SIGKILL to script hangs the terminal up.
  // `nodeArgs` go to node before the script (e.g. --import of a fault-injecting preload). `program` replaces
  // node and the script: `args` then follow it (an installed floatd, run through nsenter).
  spawnAgent(host: LabHost, args: readonly string[], opts: { terminal?: boolean; nodeArgs?: readonly string[]; program?: readonly string[] } = {}): AgentProcess {
    if (this.torn) throw new Error(`lab ${this.prefix} is torn down`);
    if (!opts.program && !existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run npm run build first`);
    const argv = ['ip', 'netns', 'exec', host.ns, ...(opts.program ?? [process.execPath, ...(opts.nodeArgs ?? []), CLI_PATH]), ...args];
    const child = opts.terminal
      ? // stdin stays an open pipe: script would pass an EOF on it to the terminal.
        spawn('script', ['-qfec', `exec ${argv.map(shellQuote).join(' ')}`, '/dev/null'], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] })
      : spawn(argv[0] as string, argv.slice(1), { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const agent = new AgentProcess(host, child);
    this.agents.add(agent);
    return agent;
  }

  // Names of the hosts (observer included) that have `vip` on an interface right now, read with ip -j addr.
  async vipHolders(vip: string): Promise<string[]> {
    const all = [...this.hosts, ...(this.observer ? [this.observer] : [])];
    const held = await Promise.all(
      all.map(async (h) => {
        const r = await run('ip', ['-n', h.ns, '-j', vip.includes(':') ? '-6' : '-4', 'addr', 'show']);
        const links = JSON.parse(r.stdout || '[]') as { addr_info?: { local: string }[] }[];
        return links.some((l) => l.addr_info?.some((a) => a.local === vip)) ? h.name : undefined;
      }),
    );
    return held.filter((n): n is string => n !== undefined);
  }

  // The neighbour entry `from` has for `ip`, read without sending anything.
  async neighbour(from: LabHost, ip: string): Promise<{ lladdr: string | undefined; state: string[] } | undefined> {
    const r = await run('ip', ['-n', from.ns, '-j', 'neigh', 'show', 'to', ip, 'dev', from.iface]);
    const entry = (JSON.parse(r.stdout || '[]') as { lladdr?: string; state?: string[] }[])[0];
    return entry && { lladdr: entry.lladdr, state: entry.state ?? [] };
  }

  // One round trip from `from` to `ip`: ICMP echo when ping is installed, else a TCP SYN to port 9,
  // where a refusal (RST) proves just as well that a stack owning `ip` answered through the neighbour entry.
  async reach(from: LabHost, ip: string): Promise<{ ok: boolean; via: 'icmp' | 'tcp'; detail: string }> {
    if (onPath('ping')) {
      const r = await this.exec(from, ['ping', '-n', '-c', '1', '-W', '1', ip]);
      return { ok: r.code === 0, via: 'icmp', detail: (r.stdout + r.stderr).trim() };
    }
    const probe = `const s=require('net').connect({host:process.argv[1],port:9,timeout:1000});s.on('connect',()=>process.exit(0));s.on('timeout',()=>{console.log('timeout');process.exit(2)});s.on('error',(e)=>{console.log(e.code);process.exit(e.code==='ECONNREFUSED'?0:1)})`;
    const r = await this.exec(from, [process.execPath, '-e', probe, ip]);
    return { ok: r.code === 0, via: 'tcp', detail: (r.stdout + r.stderr).trim() };
  }

  // Everything of this lab still on the machine: namespaces, links and live processes we started.
  leftovers(): string[] {
    const found: string[] = [];
    for (const line of runSync('ip', ['netns', 'list']).stdout.split('\n')) {
      const name = line.split(' ')[0] ?? '';
      if (name.startsWith(this.prefix)) found.push(`netns ${name}`);
    }
    for (const line of runSync('ip', ['-o', 'link', 'show']).stdout.split('\n')) {
      const name = /^\d+: ([^:@]+)/.exec(line)?.[1];
      if (name?.startsWith(this.prefix)) found.push(`link ${name}`);
    }
    for (const a of this.agents) for (const pid of [a.pid, ...a.adopted]) if (isAlive(pid)) found.push(`floatd pid ${pid} in ${a.host.ns}`);
    if (this.addresses.pid !== undefined && isAlive(this.addresses.pid)) found.push(`ip monitor pid ${this.addresses.pid}`);
    return found;
  }

  // A summary for failure messages: each agent's last log lines and the address events.
  report(): string {
    const out = [`lab ${this.prefix} (${this.dir})`];
    const t = (at: number) => `+${String(Math.round(at - this.createdAt)).padStart(5)}ms`;
    for (const a of this.agents) {
      out.push(`  ${a.host.name} pid ${a.pid} ${a.state}:`, ...a.lines.slice(-15).map((l) => `    ${t(l.at)} ${l.msg}`));
      if (a.stderr) out.push(`    stderr: ${a.stderr.trim()}`);
    }
    out.push('  address events:', ...this.addresses.events.map((e) => `    ${t(e.at)} ${e.op} ${e.address} ${e.host}`));
    return out.join('\n');
  }

  // Kills what the lab started (SIGKILL to each agent's process group and its descendants), waits for
  // them, then deletes links and namespaces. Safe to call twice.
  async teardown(): Promise<void> {
    if (this.torn) return;
    const agents = [...this.agents];
    this.killAll();
    await Promise.all(agents.map((a) => Promise.race([a.exited, sleep(3000, { unref: true })])));
    this.destroy();
  }

  // For exit and signal handlers, which cannot wait.
  teardownSync(): void {
    if (this.torn) return;
    this.killAll();
    this.destroy();
  }

  private killAll(): void {
    for (const a of this.agents) {
      const pids = [a.pid, ...descendants(a.pid), ...[...a.adopted].flatMap((p) => [p, ...descendants(p)])];
      signal(-a.pid, 'SIGKILL');
      for (const pid of pids) signal(pid, 'SIGKILL');
    }
    this.addresses.stop();
  }

  private destroy(): void {
    this.torn = true;
    live.delete(this);
    // Deleting the root end of a veth removes the pair at once; a namespace's own cleanup is asynchronous.
    for (const link of this.links) runSync('ip', ['link', 'del', link]);
    for (const ns of this.namespaces) runSync('ip', ['netns', 'del', ns]);
    rmSync(this.dir, { recursive: true, force: true });
  }

  // Namespace, veth pair (the inside end named after the host, the outside end a bridge port), lo up.
  private plug(name: string): void {
    const ns = this.nsOf(name);
    this.namespaces.push(ns);
    ipSync('netns', 'add', ns);
    this.links.unshift(this.portOf(name));
    this.veth(name);
    ipSync('-n', ns, 'link', 'set', 'lo', 'up');
  }

  // The veth pair of one host: made in the root namespace, its outside end put on the bridge, its inside end moved in, both up.
  private veth(name: string): void {
    const ns = this.nsOf(name);
    const iface = this.ifaceOf(name);
    const port = this.portOf(name);
    ipSync('link', 'add', iface, 'type', 'veth', 'peer', 'name', port);
    if (this.ipv6) noIPv6(port);
    ipSync('link', 'set', port, 'master', this.bridge, 'up');
    ipSync('link', 'set', iface, 'netns', ns);
    ipSync('-n', ns, 'link', 'set', iface, 'up');
  }

  // nsid → namespace name as the root namespace sees them; `ip monitor all-nsid` labels events by nsid.
  private nsNames(): Map<number, string> {
    const ids = () => JSON.parse(ipSync('-j', 'netns', 'list-id')) as { nsid: number; name?: string }[];
    for (const ns of this.namespaces) if (!ids().some((e) => e.name === ns)) ipSync('netns', 'set', ns, 'auto');
    const names = new Map<number, string>();
    for (const e of ids()) if (e.name && this.namespaces.includes(e.name)) names.set(e.nsid, e.name.slice(this.prefix.length + 1));
    return names;
  }

  private portOf(name: string): string {
    return `${this.prefix}p${name === 'obs' ? 'o' : name.slice(1)}`;
  }

  private nsOf(name: string): string {
    return `${this.prefix}-${name}`;
  }

  private ifaceOf(name: string): string {
    return `${this.prefix}${name === 'obs' ? 'obs' : name}`;
  }
}

// One line of an agent's JSON log; `at` is when the test process read it (performance.now()).
// Ties a lab to the enclosing describe block: its report is printed when a test fails (with `context()`
// in front), and after the last test it is torn down and checked for leftovers. `before` runs first
// (stop helper scripts that use the lab).
export function watchLab(get: () => Lab | undefined, opts: { context?: () => string; before?: () => Promise<void> } = {}): void {
  beforeEach((ctx) => {
    ctx.onTestFailed(() => console.error([opts.context?.(), get()?.report()].filter(Boolean).join('\n')));
  });
  afterAll(async () => {
    await opts.before?.();
    const lab = get();
    if (!lab) return;
    await lab.teardown();
    expect(lab.leftovers()).toEqual([]);
  });
}

// The one documented double holding: the VIP stays on `host` after its agent is SIGKILLed (its host is up)
// until floatd restarted there removes it; asserts that this was the only overlap of `vip`.
export function expectOnlyKillOverlap(lab: Lab, vip: string, o: { host: string; killedAt: number; restartedAt: number; other: string }): void {
  const overlaps = lab.addresses.overlaps(vip);
  expect(overlaps.map((x) => x.hosts)).toEqual([[o.host, o.other].sort()]);
  const [only] = overlaps as [(typeof overlaps)[number]];
  expect(only.from).toBeGreaterThan(o.killedAt);
  const cleanup = lab.addresses.events.find((e) => e.address === vip && e.host === o.host && e.op === 'del' && e.at >= o.restartedAt);
  expect(only.to).toBe(cleanup?.at);
}

export interface AgentLine {
  at: number;
  msg: string;
  event?: string;
  state?: string;
  previous?: string;
  reason?: string;
  epoch?: number;
  op?: string;
  changed?: boolean;
  [field: string]: unknown;
}

// A floatd process in a lab namespace, with its parsed log.
export class AgentProcess {
  readonly host: LabHost;
  readonly pid: number;
  readonly lines: AgentLine[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr = '';
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  // Processes of this agent that are no longer below `pid` (an agent its terminal's script left behind):
  // teardown kills them too.
  readonly adopted = new Set<number>();
  private readonly listeners = new Set<() => void>();
  private readonly reader: Interface;

  constructor(host: LabHost, child: ChildProcess) {
    if (child.pid === undefined) throw new Error(`cannot start floatd in ${host.ns}`);
    this.host = host;
    this.pid = child.pid;
    child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.reader = createInterface({ input: child.stdout! });
    this.reader.on('line', (text) => {
      this.lines.push({ ...parseLine(text), at: performance.now() });
      this.notify();
    });
    this.exited = new Promise((resolve) =>
      child.on('close', (code, signal) => {
        this.exit = { code, signal };
        this.notify();
        resolve(this.exit);
      }),
    );
  }

  // The state of the last transition logged, 'INIT' before any and 'EXITED' once the process is gone.
  get state(): string {
    if (this.exit) return 'EXITED';
    let state = 'INIT';
    for (const l of this.lines) if (l.event === 'transition' && typeof l.state === 'string') state = l.state;
    return state;
  }

  // Index to pass as `since`, so a wait only looks at lines logged from now on.
  mark(): number {
    return this.lines.length;
  }

  kill(sig: NodeJS.Signals): void {
    process.kill(this.pid, sig);
  }

  // Stops reading the agent's stdout, so its pipe fills up as if nobody read the log; resumeOutput() reads on.
  pauseOutput(): void {
    this.reader.pause();
  }

  resumeOutput(): void {
    this.reader.resume();
  }

  // Processes the agent started that are still running (arping, hooks, the kernel channel's helper).
  children(): number[] {
    return descendants(this.pid);
  }

  // Its arping children (with --vip-path spawn, or the channel down); the kernel channel's helper lives
  // as long as the agent and is not one of them.
  arpings(): number[] {
    return this.children().filter((p) => {
      try {
        return readFileSync(`/proc/${p}/comm`, 'latin1').trim() === 'arping';
      } catch {
        return false;
      }
    });
  }

  // Resolves with the first line from `since` on that matches; rejects on timeout or when the agent exits first.
  waitFor(what: string, match: (l: AgentLine) => boolean, opts: { since?: number; timeoutMs?: number } = {}): Promise<AgentLine> {
    const { since = 0, timeoutMs = 5000 } = opts;
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = this.lines.slice(since).find(match);
        if (!hit && !this.exit) return;
        done();
        if (hit) resolve(hit);
        else reject(new Error(`${this.host.name}: floatd exited (${JSON.stringify(this.exit)}) before ${what}\n${this.tail()}`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.host.name}: timed out after ${timeoutMs} ms waiting for ${what}\n${this.tail()}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  private tail(): string {
    return [...this.lines.slice(-10).map((l) => `  ${l.msg}`), this.stderr.trim()].filter(Boolean).join('\n');
  }

  private notify(): void {
    for (const f of [...this.listeners]) f();
  }
}

// An address appearing on or leaving an interface in one of the lab's namespaces.
export interface AddressEvent {
  at: number; // performance.now() when read
  host: string;
  address: string;
  op: 'add' | 'del';
}

// A stretch of the run in which an address was on two or more hosts at once.
export interface Overlap {
  from: number;
  to: number | undefined; // undefined: still overlapping at the last event
  hosts: string[];
}

// Every IPv4 address change in the lab, in kernel order: one `ip monitor all-nsid` netlink socket in the
// root namespace sees all namespaces, so no change is missed however short and none is reordered.
export class AddressMonitor {
  readonly events: AddressEvent[] = [];
  pid: number | undefined;
  private child: ChildProcess | undefined;
  private sentinelSeen = false;

  async start(names: Map<number, string>, sentinelNs: string): Promise<void> {
    const child = spawn('ip', ['-o', 'monitor', 'all-nsid', 'address'], { stdio: ['ignore', 'pipe', 'ignore'] });
    this.child = child;
    this.pid = child.pid;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^\[nsid (\d+)\](Deleted )?\d+:\s+\S+\s+inet ([0-9.]+)\//.exec(line);
      const host = m ? names.get(Number(m[1])) : undefined;
      if (!m || host === undefined || m[3] === undefined) return;
      if (m[3] === SENTINEL_IP) this.sentinelSeen = true;
      else this.events.push({ at: performance.now(), host, address: m[3], op: m[2] ? 'del' : 'add' });
    });
    // The socket subscribes some time after spawn; once a sentinel change shows up, every later one will.
    await waitUntil('the address monitor to listen', () => {
      runSync('ip', ['-n', sentinelNs, 'addr', 'add', `${SENTINEL_IP}/32`, 'dev', 'lo']);
      runSync('ip', ['-n', sentinelNs, 'addr', 'del', `${SENTINEL_IP}/32`, 'dev', 'lo']);
      return this.sentinelSeen;
    }, { timeoutMs: 5000, everyMs: 50 });
  }

  // The changes of `address` stamped at or after `since` ("del h1", "add h2"). Events are stamped when this
  // process reads them, which a busy machine delays: a leading add on `holder`, which held the address at
  // `since` (so the kernel cannot have added it again), is its earlier add read late and is left out.
  changesSince(address: string, since: number, holder: string): string[] {
    const changes = this.events.filter((e) => e.address === address && e.at >= since).map((e) => `${e.op} ${e.host}`);
    return changes[0] === `add ${holder}` ? changes.slice(1) : changes;
  }

  // Who holds `address` after the last event up to `at` (default: now).
  holders(address: string, at = Infinity): string[] {
    const held = new Set<string>();
    for (const e of this.events) {
      if (e.at > at) break;
      if (e.address !== address) continue;
      if (e.op === 'add') held.add(e.host);
      else held.delete(e.host);
    }
    return [...held].sort();
  }

  overlaps(address: string): Overlap[] {
    const held = new Set<string>();
    const found: Overlap[] = [];
    let open: Overlap | undefined;
    for (const e of this.events) {
      if (e.address !== address) continue;
      if (e.op === 'add') held.add(e.host);
      else held.delete(e.host);
      if (held.size >= 2 && !open) found.push((open = { from: e.at, to: undefined, hosts: [...held].sort() }));
      else if (held.size >= 2 && open) open.hosts = [...new Set([...open.hosts, ...held])].sort();
      else if (open) {
        open.to = e.at;
        open = undefined;
      }
    }
    return found;
  }

  stop(): void {
    if (this.pid !== undefined) signal(this.pid, 'SIGKILL');
    this.child?.stdout?.destroy();
  }
}

// Polls `check` until it holds; rejects with `what` after the timeout.
// IPv6 off on a root-namespace link of the lab (sysctl, not ip: a link has no IPv6 switch in ip(8)).
function noIPv6(link: string): void {
  writeFileSync(`/proc/sys/net/ipv6/conf/${link}/disable_ipv6`, '1');
}

export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, opts: { timeoutMs?: number; everyMs?: number } = {}): Promise<void> {
  const { timeoutMs = 5000, everyMs = 20 } = opts;
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export function sleep(ms: number, opts: { unref?: boolean } = {}): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    if (opts.unref) timer.unref();
  });
}

// Labs not torn down yet. Module state on purpose: the exit and signal handlers are per process.
const live = new Set<Lab>();
let handlersInstalled = false;

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => {
    for (const lab of [...live]) lab.teardownSync();
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      for (const lab of [...live]) lab.teardownSync();
      process.off(sig, onSignal);
      // Re-raise so the default action (or whoever else listens) still ends the process.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
  // A test worker whose runner was interrupted gets no signal of its own, only its IPC channel closing;
  // left alone it would go on with nobody to report to. vitest traps process.exit in workers, hence SIGKILL.
  process.once('disconnect', () => {
    if (live.size === 0) return;
    for (const lab of [...live]) lab.teardownSync();
    process.kill(process.pid, 'SIGKILL');
  });
}

function parseLine(text: string): { msg: string; [field: string]: unknown } {
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === 'object' && v !== null) return { ...(v as Record<string, unknown>), msg: String((v as { msg?: unknown }).msg ?? '') };
  } catch {
    // not JSON: kept as a raw line
  }
  return { msg: text };
}

function run(cmd: string, args: readonly string[], timeoutMs = 10_000): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => resolve({ code: null, stdout, stderr: stderr + err.message }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function runSync(cmd: string, args: readonly string[]): RunResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? r.error.message : '') };
}

// ip(8) for building the lab: a failure stops the build with the command that failed.
function ipSync(...args: string[]): string {
  const r = runSync('ip', args);
  if (r.code !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim() || `exit ${String(r.code)}`}`);
  return r.stdout;
}

function shellQuote(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

// All processes below `pid`, read from /proc (every thread keeps its own children list).
export function descendants(pid: number): number[] {
  const found: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return found;
  }
  for (const tid of tasks) {
    let text = '';
    try {
      text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const child of text.split(' ').filter(Boolean).map(Number)) found.push(child, ...descendants(child));
  }
  return found;
}

// A zombie counts as dead: it only waits to be reaped.
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // ESRCH: already gone
  }
}
