// Where log bytes leave the process: one writer over a file descriptor that never blocks the event loop,
// whatever the fd is (journald's socket, a pipe, a terminal, a file), and that reports failures as errno
// codes instead of throwing. The bounded queue in front of it is log-sink.ts.
import { constants, closeSync, fstatSync, openSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { isatty } from 'node:tty';

// What a write came to: `bytes` written (fewer than asked is fine), or the errno code that ended the output.
export type WriteDone = (error: string | undefined, bytes: number) => void;

// One way out. write() takes one buffer at a time and calls `done` exactly once, maybe synchronously.
export interface Output {
  readonly kind: 'socket' | 'pipe' | 'terminal' | 'device' | 'file';
  write(buf: Buffer, done: WriteDone): void;
  close(): void;
}

// Errors that mean "not now": the output is full (a paused terminal), or the disk is. Retried later.
const TRANSIENT = new Set(['EAGAIN', 'EWOULDBLOCK', 'EINTR', 'EBUSY', 'ENOSPC', 'EDQUOT']);
// Retry delays of a raw fd that is full: short at first so a slow terminal keeps flowing, then at most 4 a second.
const RETRY_FIRST_MS = 10;
const RETRY_MAX_MS = 250;

// Opens the output for `fd`. A pipe or a terminal is first reopened through /proc with O_NONBLOCK, so the
// file description made non-blocking is our own, not the one shared with the shell and the terminal's
// other processes. Pipes and sockets are then written through libuv (epoll says when there is room),
// terminals and other devices with writeSync retried on a timer while full, regular files with writeSync.
export function openOutput(fd: number): Output {
  let kind: Output['kind'];
  try {
    const st = fstatSync(fd);
    kind = st.isSocket() ? 'socket' : st.isFIFO() ? 'pipe' : st.isCharacterDevice() ? (isatty(fd) ? 'terminal' : 'device') : 'file';
  } catch (err) {
    return failedOutput(codeOf(err));
  }
  if (kind === 'socket') return streamOutput(fd, kind);
  if (kind === 'file') return fdOutput(fd, kind, false);
  const own = reopenNonBlocking(fd);
  // Without /proc (or for a FIFO whose reader is gone already) the inherited fd is all there is: a pipe can
  // still go through libuv; a terminal is written as it is, which blocks if it is blocking and stalls.
  if (own === undefined) return kind === 'pipe' ? streamOutput(fd, kind) : fdOutput(fd, kind, false);
  return kind === 'pipe' ? streamOutput(own, kind) : fdOutput(own, kind, true);
}

// Whether two fds lead to the same file (a terminal, a pipe, a socket): a log diverted from one to the
// other would fail the same way.
export function sameFile(a: number, b: number): boolean {
  try {
    const [x, y] = [fstatSync(a), fstatSync(b)];
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return true;
  }
}

function reopenNonBlocking(fd: number): number | undefined {
  try {
    // O_NOCTTY: a daemon without a controlling terminal must not acquire this one.
    return openSync(`/proc/self/fd/${fd}`, constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch {
    return undefined;
  }
}

// A socket or pipe through libuv: writes never block, and `done` comes when the kernel took the bytes.
// Nothing else in the agent may write to this fd through process.stdout, or the two handles would fight.
function streamOutput(fd: number, kind: Output['kind']): Output {
  let socket: Socket;
  try {
    socket = new Socket({ fd, readable: false, writable: true });
  } catch (err) {
    return failedOutput(codeOf(err));
  }
  socket.unref();
  let failure: string | undefined;
  // Always listened to: an unheard 'error' would end the process.
  socket.on('error', (err) => (failure ??= codeOf(err)));
  return {
    kind,
    write(buf, done) {
      if (failure !== undefined || socket.destroyed) return done(failure ?? 'EPIPE', 0);
      try {
        socket.write(buf, (err) => (err ? done((failure ??= codeOf(err)), 0) : done(undefined, buf.length)));
      } catch (err) {
        done((failure ??= codeOf(err)), 0);
      }
    },
    close() {
      socket.destroy();
    },
  };
}

// A raw fd written with writeSync, which returns at once when the fd is non-blocking; when it is full, a
// timer tries again with backoff. The timer exists only while bytes wait, so an idle agent has none.
function fdOutput(fd: number, kind: Output['kind'], owned: boolean): Output {
  let timer: NodeJS.Timeout | undefined;
  let delay = RETRY_FIRST_MS;
  const attempt = (buf: Buffer, done: WriteDone): void => {
    timer = undefined;
    let bytes = 0;
    try {
      bytes = writeSync(fd, buf);
    } catch (err) {
      const code = codeOf(err);
      if (!TRANSIENT.has(code)) return done(code, 0);
    }
    // Nothing taken (EAGAIN, or a write of 0 bytes, which must not become a busy loop): try again later.
    if (bytes === 0) {
      timer = setTimeout(() => attempt(buf, done), delay);
      timer.unref();
      delay = Math.min(delay * 2, RETRY_MAX_MS);
      return;
    }
    delay = RETRY_FIRST_MS;
    done(undefined, bytes);
  };
  return {
    kind,
    write: attempt,
    close() {
      clearTimeout(timer);
      if (owned) closeQuietly(fd);
    },
  };
}

// An fd that could not even be looked at (EBADF: closed before we started).
function failedOutput(code: string): Output {
  return { kind: 'file', write: (_buf, done) => done(code, 0), close: () => undefined };
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

function codeOf(err: unknown): string {
  return (err as NodeJS.ErrnoException | undefined)?.code ?? 'EIO';
}
