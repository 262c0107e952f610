// Tells systemd (Type=notify) how the agent is: READY=1 once it has joined the election, STATUS= with
// its role, WATCHDOG=1 from the event loop so that a stalled agent is restarted (sd_notify(3)'s protocol,
// without libsystemd). Without NOTIFY_SOCKET nothing is started and nothing is sent.
import type { ChildProcess } from 'node:child_process';
import type { Logger } from '../log/log.js';
import type { StateFile } from '../state/state-file.js';
import { NOTIFY_VARIABLES, message, notifyTarget, statusLine, type NotifyTarget } from './notify-env.js';
import { findRelay, spawnRelay, RELAYS } from './relay.js';

// What the agent calls; the no-op one stands in when systemd does not listen.
export interface Notifier {
  attach(snapshot: () => StateFile): void; // the agent's state, read at every change and every second
  changed(): void;
  ready(): void;
  close(): void;
}

export const NO_NOTIFIER: Notifier = { attach: () => undefined, changed: () => undefined, ready: () => undefined, close: () => undefined };

// A backup's master is not persisted when it changes; the STATUS= line catches up within this long.
const STATUS_REFRESH_MS = 1000;
// Messages are dropped, not queued without end, while the relay does not read (PID 1 busy).
const MAX_BACKLOG_BYTES = 4096;
// A relay that died is started again at the next message, at most this often.
const RESPAWN_MS = 1000;

// Reads the notify variables from `env` and removes them there (sd_notify's unset_environment), so hooks
// and the services they start cannot speak for floatd; returns the no-op notifier when nobody listens.
export function startNotifier(env: Record<string, string | undefined>, log: Logger, pid = process.pid): Notifier {
  const { target, error } = notifyTarget(env, pid);
  for (const v of NOTIFY_VARIABLES) delete env[v];
  if (error) log.error({ event: 'notify-off' }, `${error}: systemd is not told when floatd is ready`);
  if (!target) return NO_NOTIFIER;
  const relay = findRelay(env.PATH);
  if (!relay) {
    log.error({ event: 'notify-off' }, `cannot notify systemd: none of ${RELAYS.map((r) => r.command).join(', ')} is installed (Node has no AF_UNIX datagram socket); a Type=notify unit will time out — install perl or use Type=simple`);
    return NO_NOTIFIER;
  }
  return new SystemdNotifier(target, relay, log);
}

class SystemdNotifier implements Notifier {
  private readonly target: NotifyTarget;
  private readonly relay: (typeof RELAYS)[number];
  private readonly log: Logger;
  private child: ChildProcess | undefined;
  private spawnedAt = -Infinity;
  private readonly timers: NodeJS.Timeout[] = [];
  private snapshot: (() => StateFile) | undefined;
  private status = '';
  private isReady = false;
  private stopping = false;
  private closed = false;
  private dropped = 0;
  private lastError = '';

  constructor(target: NotifyTarget, relay: (typeof RELAYS)[number], log: Logger) {
    this.target = target;
    this.relay = relay;
    this.log = log;
    this.ensureRelay();
    const ping = target.pingMs;
    if (ping !== undefined) this.timers.push(setInterval(() => this.send({ WATCHDOG: '1' }), ping).unref());
    this.timers.push(setInterval(() => this.changed(), STATUS_REFRESH_MS).unref());
    const watchdog = ping === undefined ? 'watchdog off' : `WATCHDOG=1 every ${ping} ms`;
    log.info({ event: 'notify-on', socket: target.socket, relay: relay.name, pid: this.child?.pid, pingMs: ping ?? null }, `telling systemd through ${target.socket} (${relay.name} relay), ${watchdog}`);
  }

  attach(snapshot: () => StateFile): void {
    this.snapshot = snapshot;
    this.changed();
  }

  changed(): void {
    const doc = this.snapshot?.();
    if (!doc) return;
    const status = statusLine(doc);
    const fields: Record<string, string> = {};
    if (status !== this.status) fields.STATUS = status;
    // The agent is on its way out (SIGTERM, shutdown complete): systemd learns it before the exit.
    if (doc.state === 'STOPPED' && !this.stopping) fields.STOPPING = '1';
    if (Object.keys(fields).length === 0) return;
    this.status = status;
    this.stopping ||= doc.state === 'STOPPED';
    this.send(fields);
  }

  ready(): void {
    if (this.isReady || this.closed) return;
    this.isReady = true;
    const doc = this.snapshot?.();
    const status = doc ? statusLine(doc) : this.status;
    this.send(status !== this.status ? { READY: '1', STATUS: status } : { READY: '1' });
    this.status = status;
    this.log.info({ event: 'notify-ready' }, 'told systemd: READY=1 (joined the election)');
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.child?.stdin?.end();
  }

  private send(fields: Readonly<Record<string, string>>): void {
    if (this.closed) return;
    const stdin = this.ensureRelay()?.stdin;
    if (!stdin || stdin.writableLength > MAX_BACKLOG_BYTES) {
      if (this.dropped++ === 0) this.log.warn({ event: 'notify-dropped' }, 'systemd notify relay is not keeping up: dropping notifications');
      return;
    }
    if (this.dropped > 0) this.log.warn({ event: 'notify-dropped', dropped: this.dropped }, `${this.dropped} systemd notification(s) dropped`);
    this.dropped = 0;
    stdin.write(`${message(fields)}\0`);
  }

  // The running relay, or a fresh one when the last died long enough ago; undefined in between.
  private ensureRelay(): ChildProcess | undefined {
    if (this.child) return this.child;
    const now = performance.now();
    if (now - this.spawnedAt < RESPAWN_MS) return undefined;
    this.spawnedAt = now;
    const child = spawnRelay(this.relay, this.target.socket);
    this.child = child;
    child.stderr?.setEncoding('utf8').on('data', (text: string) => this.relayError(text));
    child.on('error', (err) => this.log.error({ event: 'notify-error', err }, `systemd notify relay (${this.relay.name}) failed: ${err.message}`));
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      if (this.closed) return;
      this.log.error({ event: 'notify-error', code, signal }, `systemd notify relay (${this.relay.name}, pid ${child.pid}) exited (${signal ?? `code ${code}`}): starting another at the next notification`);
      // What systemd saw last must be said again by the new relay.
      this.status = '';
      if (this.isReady) {
        this.isReady = false;
        setTimeout(() => this.ready(), RESPAWN_MS).unref();
      }
    });
    return child;
  }

  // A failed send is logged once, and again only when the reason changes.
  private relayError(text: string): void {
    for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
      if (line === this.lastError) continue;
      this.lastError = line;
      this.log.warn({ event: 'notify-error', detail: line }, `systemd notify through ${this.target.socket} failed: ${line}`);
    }
  }
}
