// A fake NOTIFY_SOCKET for tests: a datagram socket that prints every notification it receives with its
// sender's pid (SO_PASSCRED, as PID 1 reads it). Node cannot bind an AF_UNIX datagram socket either, so
// the listener is a few lines of python3 — an implementation independent of the relay it checks.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

const LISTENER = String.raw`import json, socket, struct, sys
a = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind('\0' + a[1:] if a.startswith('@') else a)
print(json.dumps({'listening': a}), flush=True)
while True:
    data, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
    pid = next((struct.unpack('iII', d[:12])[0] for l, t, d in anc if l == socket.SOL_SOCKET and t == socket.SCM_CREDENTIALS), None)
    print(json.dumps({'pid': pid, 'text': data.decode()}), flush=True)`;

// One datagram: its sender and its assignments, in arrival order.
export interface Notification {
  pid: number;
  text: string;
  fields: Record<string, string>;
  seenAt: number; // performance.now() in the test process
}

export class NotifyListener {
  readonly received: Notification[] = [];
  private readonly child: ChildProcess;
  private readonly waiters = new Set<() => void>();

  private constructor(child: ChildProcess) {
    this.child = child;
  }

  // Binds `address` (a path or an @abstract name) and resolves once it listens.
  static async start(address: string): Promise<NotifyListener> {
    const child = spawn('python3', ['-c', LISTENER, address], { stdio: ['ignore', 'pipe', 'inherit'] });
    const l = new NotifyListener(child);
    const lines = createInterface({ input: child.stdout! });
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`notify listener exited (${code}) before listening on ${address}`)));
      lines.on('line', (line) => {
        const m = JSON.parse(line) as { listening?: string; pid?: number; text?: string };
        if (m.listening) return resolve();
        const fields = Object.fromEntries((m.text ?? '').split('\n').map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));
        l.received.push({ pid: m.pid ?? 0, text: m.text ?? '', fields, seenAt: performance.now() });
        for (const w of l.waiters) w();
      });
    });
    return l;
  }

  // The first notification from index `since` on that matches, waiting for it up to timeoutMs.
  async waitFor(what: string, match: (n: Notification) => boolean, o: { since?: number; timeoutMs?: number } = {}): Promise<Notification> {
    const find = () => this.received.slice(o.since ?? 0).find(match);
    const found = find();
    if (found) return found;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no notification "${what}" within ${o.timeoutMs ?? 10_000} ms; got: ${JSON.stringify(this.received.map((n) => n.text))}`));
      }, o.timeoutMs ?? 10_000);
      const check = () => {
        const n = find();
        if (!n) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(n);
      };
      this.waiters.add(check);
    });
  }

  stop(): void {
    if (this.child.exitCode === null && this.child.pid !== undefined) process.kill(this.child.pid, 'SIGKILL');
  }
}
