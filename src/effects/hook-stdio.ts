// A hook's stdout or stderr: a connected pair of Unix stream sockets, the same kind of file libuv's
// socketpair(2) gives a child's 'pipe' stdio, except that this end reads into one reused buffer
// (net's onread). A pipe read as a stream allocates a new buffer per chunk, and a hook printing 100 MB
// left ~40 MB of such garbage in the agent before the GC caught up; this reads it with none.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { OutputStream } from './hook-output.js';

// One read of up to this many bytes; the chunk handed on is only valid until the callback returns.
const READ_BUFFER_BYTES = 64 * 1024;
const TOKEN_BYTES = 16;
// Connecting on loopback is immediate; this only turns a kernel that never answers into an error.
const SETUP_TIMEOUT_MS = 5000;

// What becomes of the hook's output: chunks as they are read, then the end (EOF, or a read error).
export interface StdioHandlers {
  chunk(stream: OutputStream, data: Uint8Array): void;
  end(stream: OutputStream): void;
  error(stream: OutputStream, err: Error): void;
}

// The child's ends of stdout and stderr, for spawn's stdio: the caller closes them once the child
// has its copies. `closed` settles when both were read to EOF, i.e. the hook and all its children
// closed them; nothing waits for that but whoever wants to.
export interface HookStdio {
  childEnds: [Socket, Socket];
  closed: Promise<void>;
}

// A pair opened ahead of need (prepareHookStdio): the handshake below takes ~0.4 ms, more on a busy host,
// and the hook that ends a mastership or starts one should not wait for it. Held unreferenced, so an
// idle spare never keeps the process alive; it costs two connected socket pairs and their read buffers.
let spare: Promise<Bindable | undefined> | undefined;

// Opens the spare pair now, unless one is open or opening.
export function prepareHookStdio(): void {
  spare ??= openBindable().then(
    (b) => b,
    () => undefined, // the next hook opens its own, and says why if it cannot
  );
}

// Both channels for one hook, or neither: the spare when there is a usable one, else a fresh pair; a new
// spare is opened behind it for the next hook.
export async function openHookStdio(on: StdioHandlers): Promise<HookStdio> {
  const ready = spare;
  spare = undefined;
  const taken = await ready;
  let pair = taken?.usable() ? taken : undefined;
  if (taken !== undefined && pair === undefined) taken.destroy();
  pair ??= await openBindable();
  prepareHookStdio();
  pair.bind(on);
  return pair.stdio;
}

// A pair whose handlers are set when it is handed to a hook; nothing arrives before, since no child holds it.
interface Bindable {
  stdio: HookStdio;
  bind(on: StdioHandlers): void;
  usable(): boolean;
  destroy(): void;
}

async function openBindable(): Promise<Bindable> {
  const streams = ['stdout', 'stderr'] as const;
  let target: StdioHandlers | undefined;
  let broken = false;
  const opened = await Promise.allSettled(streams.map((name) => openChannel((data) => target?.chunk(name, data))));
  const failed = opened.find((r) => r.status === 'rejected');
  if (failed !== undefined) {
    for (const r of opened) if (r.status === 'fulfilled') for (const s of [r.value.childEnd, r.value.reader]) s.destroy();
    throw failed.reason;
  }
  const [out, err] = opened.map((r) => (r as PromiseFulfilledResult<Channel>).value) as [Channel, Channel];
  const sockets = [out.childEnd, out.reader, err.childEnd, err.reader];
  for (const s of sockets) s.unref();
  const closed = [out, err].map(({ reader }, i) => {
    const name = streams[i]!;
    reader.on('error', (e) => {
      broken = true;
      target?.error(name, e);
    });
    return new Promise<void>((resolve) => reader.once('close', () => {
      broken = true;
      target?.end(name);
      resolve();
    }));
  });
  return {
    stdio: { childEnds: [out.childEnd, err.childEnd], closed: Promise.all(closed).then(() => undefined) },
    bind(on) {
      target = on;
      // A hook's output is read to its end, as long as the agent lives.
      for (const r of [out.reader, err.reader]) r.ref();
    },
    usable: () => !broken && sockets.every((s) => !s.destroyed),
    destroy: () => sockets.forEach((s) => s.destroy()),
  };
}

interface Channel {
  childEnd: Socket;
  reader: Socket;
}

// Connects a pair through a listener on a random abstract-namespace name (Linux; nothing on disk).
// Any local process could connect to it too, so the accepted end must first receive our random token.
async function openChannel(onChunk: (chunk: Uint8Array) => void): Promise<Channel> {
  const name = `\0floatd-hook-${process.pid}-${randomBytes(8).toString('hex')}`;
  const token = randomBytes(TOKEN_BYTES);
  const server = createServer();
  const strangers = new Set<Socket>();
  let timer: NodeJS.Timeout | undefined;
  let reader: Socket | undefined;
  try {
    await listen(server, name);
    const accepted = acceptWithToken(server, token, strangers);
    const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
    const callback = (n: number, buf: Uint8Array): boolean => {
      onChunk(buf.subarray(0, n));
      return true; // keep reading
    };
    reader = connect({ path: name, onread: { buffer, callback } });
    const failed = new Promise<never>((_, reject) => {
      reader?.once('error', reject);
      timer = setTimeout(() => reject(new Error(`no connection within ${SETUP_TIMEOUT_MS} ms`)), SETUP_TIMEOUT_MS);
    });
    reader.write(token);
    const childEnd = await Promise.race([accepted, failed]);
    reader.removeAllListeners('error');
    return { childEnd, reader };
  } catch (err) {
    reader?.destroy();
    throw err;
  } finally {
    clearTimeout(timer);
    server.close();
    for (const s of strangers) s.destroy();
  }
}

function listen(server: Server, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(name, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

// The first connection that sends exactly the token; any other is kept in `strangers` for closing.
function acceptWithToken(server: Server, token: Buffer, strangers: Set<Socket>): Promise<Socket> {
  return new Promise((resolve) => {
    server.on('connection', (s) => {
      strangers.add(s);
      s.on('error', () => s.destroy());
      let got = Buffer.alloc(0);
      const onData = (data: Buffer): void => {
        got = Buffer.concat([got, data]);
        if (got.length < token.length) return;
        s.off('data', onData);
        if (got.length !== token.length || !timingSafeEqual(got, token)) return void s.destroy();
        s.pause(); // nothing else is ever written to this end; the hook only writes into it
        strangers.delete(s);
        resolve(s);
      };
      s.on('data', onData);
    });
  });
}
