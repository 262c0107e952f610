// The command-line flags, declared once: this table drives commander, `--help` and docs/cli.md.
// Short and long names, meanings and defaults of the ucarp flags match ucarp 1.5.

export interface OptionSpec {
  long: string;
  short?: string;
  aliases?: readonly string[];
  arg?: string; // placeholder of the value; absent for boolean switches
  description: string;
  default?: string; // shown in --help and the docs; config.ts applies it
  repeatable?: boolean;
  origin: 'ucarp' | 'floatd';
}

export const OPTIONS = [
  { long: 'interface', short: 'i', arg: 'if', origin: 'ucarp', description: 'interface that carries the VIP and the adverts' },
  { long: 'srcip', short: 's', arg: 'ip', origin: 'ucarp', description: "this node's own (real) IPv4 or IPv6 address; adverts are sent from it (an IPv6 one: over IPv6, wire version 3)" },
  { long: 'vhid', short: 'v', arg: 'id', origin: 'ucarp', description: 'virtual host id, 1–255; all nodes of one VIP share it' },
  { long: 'pass', short: 'p', arg: 'secret', origin: 'ucarp', description: 'shared secret (visible in ps: prefer --passfile or FLOATD_PASSFILE/FLOATD_PASS)' },
  { long: 'passfile', short: 'o', arg: 'file', origin: 'ucarp', description: 'read the shared secret from the first line of this file (spaces and tabs around it are not part of it); a file that begins with the line "floatd-keys v1" holds several keys for a rotation, reloaded on SIGHUP (docs/operations.md: key rotation)' },
  { long: 'preempt', short: 'P', origin: 'ucarp', description: 'take over from a master that advertises less often than this node' },
  { long: 'neutral', short: 'n', origin: 'ucarp', description: 'do not run the down hooks when entering BACKUP at startup' },
  { long: 'addr', short: 'a', arg: 'ip[,ip…]', repeatable: true, origin: 'ucarp', description: 'the virtual address (VIP), IPv4 or IPv6; repeat it or give a comma list for several, all added, announced and removed together (the first is $2 of the ucarp scripts)' },
  { long: 'advbase', short: 'b', arg: 'seconds', default: '1', origin: 'ucarp', description: 'advert base interval in seconds; fractions such as 0.1 are allowed (min 0.01)' },
  { long: 'advskew', short: 'k', arg: 'skew', default: '0', origin: 'ucarp', description: 'advert skew, 0–255 in 1/256 s; lower is preferred' },
  { long: 'upscript', short: 'u', arg: 'file', origin: 'ucarp', description: 'ucarp-style script run on becoming master: $1 interface, $2 VIP (the first -a; all in FLOATD_VIPS), $3 xparam' },
  { long: 'downscript', short: 'd', arg: 'file', origin: 'ucarp', description: 'ucarp-style script run on leaving master: $1 interface, $2 VIP (the first -a; all in FLOATD_VIPS), $3 xparam' },
  { long: 'deadratio', short: 'r', arg: 'ratio', default: '3', origin: 'ucarp', description: 'missed adverts (× advbase) before the master is declared dead' },
  { long: 'shutdown', short: 'z', origin: 'ucarp', description: 'on SIGTERM/SIGINT as master: run the down hooks, remove the VIP and resign before exiting' },
  { long: 'daemonize', short: 'B', origin: 'ucarp', description: 'detach into the background, logging to syslog via logger(1)' },
  { long: 'debug', short: 'D', origin: 'ucarp', description: 'log at debug level' },
  { long: 'ignoreifstate', short: 'S', origin: 'ucarp', description: 'ignore the interface being down instead of giving up mastership' },
  { long: 'nomcast', short: 'M', origin: 'ucarp', description: "send adverts to the interface's broadcast address instead of multicast" },
  { long: 'facility', short: 'f', arg: 'name', default: 'daemon', origin: 'ucarp', description: 'syslog facility for --daemonize' },
  { long: 'xparam', short: 'x', arg: 'value', origin: 'ucarp', description: 'extra parameter passed to hooks as $3' },
  { long: 'mcast', short: 'm', aliases: ['mcastip'], arg: 'ip', default: '239.255.5.98', origin: 'ucarp', description: 'multicast group for adverts (floatd default: administratively scoped, TTL 1; with an IPv6 --srcip ff02::12 on the interface)' },
  { long: 'advert-copies', arg: 'n', default: '2', origin: 'floatd', description: 'adverts per advert interval, sent 20 ms apart (1 = ucarp); a lossy link must then drop n × deadratio in a row to cause a failover' },
  { long: 'port', arg: 'port', default: '5798', origin: 'floatd', description: 'UDP port of the adverts' },
  { long: 'peer', arg: 'ip[:port]', repeatable: true, origin: 'floatd', description: 'unicast adverts to this peer instead of multicast (repeat for each peer); IPv6: ip or [ip]:port' },
  { long: 'nodes', arg: 'n', origin: 'floatd', description: 'with multicast: how many voters the cluster has, this node and a witness included (with --peer they are counted from the list)' },
  { long: 'quorum', arg: 'n|auto|off', default: 'auto', origin: 'floatd', description: 'a master promotes and stays master only while this many voters support it, itself included; auto: a majority once the voters are known and at least 3 (2 nodes + a witness), else off (docs/election.md: quorum)' },
  { long: 'data-version', arg: 'command', origin: 'floatd', description: "executable that prints this node's data version (a number; MooseFS: hooks/mfs/metadata-version), run at start, every 3 s and before a claim: a backup does not claim while a live eligible peer reports a newer one; with -z a stopped master resigns once a standby reports its final version (docs/election.md)" },
  { long: 'presence', arg: 'auto|on|off', default: 'auto', origin: 'floatd', description: 'backups send presence every advert interval too (wire version 2), for the cluster view in floatd status; auto: on with a quorum or --data-version, else off (silent backups, version 1, as ucarp)' },
  { long: 'hooks-dir', arg: 'dir', origin: 'floatd', description: 'run DIR/prepare.d/* (before the VIP), DIR/up.d/* (after it) and DIR/down.d/* in lexical order (executable files only)' },
  { long: 'takeover-check', arg: 'file', repeatable: true, origin: 'floatd', description: 'executable that must exit 0 before this node promotes (run while still BACKUP, before the VIP and any hook); on failure stay BACKUP and retry with backoff (repeat for several)' },
  { long: 'fence', arg: 'file', origin: 'floatd', description: 'executable that must exit 0 before this node promotes after its master failed (not after a resign or preemption), e.g. an IPMI power-off of FLOATD_FENCE_TARGET; on failure stay BACKUP and retry with backoff' },
  { long: 'preempt-delay', arg: 'seconds', default: '0', origin: 'floatd', description: 'with --preempt: wait this long after this node could first take part (start, standby or check over) before preempting' },
  { long: 'min-dwell', arg: 'seconds', default: '0', origin: 'floatd', description: 'with --preempt: preempt a master only once this node has heard it hold mastership this long' },
  { long: 'failure-threshold', arg: 'n', default: '3', origin: 'floatd', description: 'after n failed masterships (up hook, VIP or service check) within --failure-window stay out of the election (0 = never)' },
  { long: 'failure-window', arg: 'seconds', default: '600', origin: 'floatd', description: 'how far back failed masterships count towards --failure-threshold' },
  { long: 'failure-timeout', arg: 'seconds', default: '600', origin: 'floatd', description: 'take part again this long after --failure-threshold was reached (0 = only after `floatd clear`)' },
  { long: 'check', arg: 'spec', repeatable: true, origin: 'floatd', description: 'health check "[key=value ...] -- COMMAND" (or just COMMAND), run with /bin/sh -c; keys interval=2 timeout=5 (seconds) rise=2 fall=3, weight=1–255 (added to --advskew while failing; else fault: never master while failing), on=all|master (master: the service itself, failing hands over); docs/checks.md' },
  { long: 'hook-timeout', arg: 'seconds', default: '60', origin: 'floatd', description: 'kill a hook (its whole process group) after this long' },
  { long: 'phase-timeout', arg: 'phase=seconds', repeatable: true, origin: 'floatd', description: 'a hook timeout for one phase only: takeover-check, fence, prepare, up, down or released (e.g. prepare=900 for a large metadata restore)' },
  { long: 'cooldown', arg: 'seconds', default: '10', origin: 'floatd', description: 'stay out of the election this long after a failed up hook or SIGUSR2' },
  { long: 'state-file', arg: 'file', default: '/run/floatd/<interface>-vhid-<vhid>.json', origin: 'floatd', description: 'JSON state written atomically at every transition' },
  { long: 'control-socket', arg: 'file', default: '/run/floatd/<interface>-<vhid>.sock', origin: 'floatd', description: 'unix socket (mode 0600, root only) for floatd status, standby, resume and clear; another agent answering on it stops this one from starting' },
  { long: 'garp-refresh', arg: 'seconds', default: '0', origin: 'floatd', description: "send gratuitous ARP for the IPv4 VIPs again every SECONDS while master and serving (keepalived's garp_master_refresh); 0 = off" },
  { long: 'run-record', arg: 'file', default: '/var/lib/floatd/<interface>-vhid-<vhid>.json', origin: 'floatd', description: 'where this node records, across reboots, whether it holds mastership and the epochs and master it heard (FLOATD_PREVIOUS_RUN… for hooks)' },
  { long: 'metrics-listen', arg: 'addr:port', origin: 'floatd', description: 'serve Prometheus metrics of this vhid over HTTP at ADDR:PORT/metrics (e.g. 127.0.0.1:9798, [::1]:9798): role, epoch, transitions, adverts, drops, quorum, hooks, the last failover; off by default (docs/operations.md: metrics)' },
  { long: 'log-format', arg: 'format', default: 'auto', origin: 'floatd', description: 'json | pretty | auto (pretty on a terminal, else json)' },
  { long: 'vip-path', arg: 'path', default: 'channel', origin: 'floatd', description: 'channel: add and remove the VIP, send gratuitous ARP (IPv4) and unsolicited neighbour advertisements (IPv6) and hear link changes through one long-lived helper (floatd-kernel-helper: netlink and a packet socket), nothing spawned per change, ip(8) and arping(8) only while it is down; spawn: run ip(8) and arping(8) for each change' },
  { long: 'vip-driver', arg: 'driver', default: 'ip', origin: 'floatd', description: 'ip: manage the VIPs with ip(8), announce IPv4 ones with arping(8) and IPv6 ones by the kernel\'s unsolicited neighbour advertisement; record: only log and record them (demo, tests)' },
] as const satisfies readonly OptionSpec[];

export type OptionName = (typeof OPTIONS)[number]['long'];

// What commander hands over: strings for valued flags, booleans for switches, arrays for repeatables.
export type RawOptions = Partial<Record<OptionName, string | boolean | string[]>>;

// Commander's flag syntax for one row, e.g. "-i, --interface <if>".
export function flagsOf(o: OptionSpec): string {
  const names = [o.short ? `-${o.short}` : undefined, `--${o.long}`].filter(Boolean).join(', ');
  return o.arg ? `${names} <${o.arg}>` : names;
}

// The option-table key as commander names it (camelCase of the long name).
export function attributeOf(long: string): string {
  return long.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
