// The notify relay: a small long-lived child that owns the AF_UNIX datagram socket Node cannot open
// (node:dgram speaks udp4/udp6 only, node:net stream sockets only) and sends each message it reads from
// its stdin as one datagram to NOTIFY_SOCKET. One process for the agent's life, not one per message.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

// Messages on the relay's stdin end with a NUL, which no notification contains. A leading '@' is
// sd_notify's spelling of an abstract name (a leading NUL byte, no trailing padding). Errors of a send
// go to stderr, one line each. Only the end of its input ends the relay: a Ctrl-C or a signal to the process
// group must not silence it while the agent still releases the VIP.
const PERL = String.raw`use strict; use Socket; $SIG{INT} = $SIG{TERM} = $SIG{HUP} = 'IGNORE';
my $a = shift; $a =~ s/^\@/\0/;
socket(my $s, AF_UNIX, SOCK_DGRAM, 0) or die "socket: $!\n";
my $to = pack_sockaddr_un($a); $/ = "\0"; $| = 1;
while (my $m = <STDIN>) { chomp $m; next if $m eq ''; send($s, $m, 0, $to) or print STDERR "send: $!\n"; }`;

const PYTHON = String.raw`import os, signal, socket, sys
for n in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP): signal.signal(n, signal.SIG_IGN)
a = sys.argv[1]
a = '\0' + a[1:] if a.startswith('@') else a
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
buf = b''
for chunk in iter(lambda: os.read(0, 65536), b''):
    *done, buf = (buf + chunk).split(b'\0')
    for m in done:
        if m:
            try:
                s.sendto(m, a)
            except OSError as e:
                sys.stderr.write('send: %s\n' % e.strerror); sys.stderr.flush()`;

// perl first: Debian's perl-base is Essential (on every host) and starts in a few milliseconds; python3
// is what a RHEL host has for certain (dnf needs it); RHEL 8 keeps its own under /usr/libexec.
export const RELAYS = [
  { name: 'perl', command: 'perl', args: ['-e', PERL] },
  { name: 'python3', command: 'python3', args: ['-c', PYTHON] },
  { name: 'platform-python', command: '/usr/libexec/platform-python', args: ['-c', PYTHON] },
] as const;

export type RelayName = (typeof RELAYS)[number]['name'];

// The first relay whose interpreter is on PATH (or, for an absolute command, exists), or undefined.
export function findRelay(path: string | undefined, only?: RelayName): (typeof RELAYS)[number] | undefined {
  const dirs = (path ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter).filter(Boolean);
  return RELAYS.find((r) => (only === undefined || r.name === only) && (r.command.startsWith('/') ? [r.command] : dirs.map((d) => join(d, r.command))).some(executable));
}

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

// Starts the relay for `socket`. Its stdin is the only pipe the agent writes; nothing of it keeps the
// agent's event loop alive, and it ends when the agent's end of that pipe closes (exit, crash or SIGKILL).
export function spawnRelay(relay: (typeof RELAYS)[number], socket: string): ChildProcess {
  const child = spawn(relay.command, [...relay.args, socket], { stdio: ['pipe', 'ignore', 'pipe'] });
  child.unref();
  child.stdin?.on('error', () => undefined); // EPIPE after the relay died: the 'exit' handler reports it
  for (const s of [child.stdin, child.stderr]) (s as unknown as { unref?: () => void } | null)?.unref?.();
  return child;
}
