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

// Opens both channels, or neither.
export async function openHookStdio(on: StdioHandlers): Promise<HookStdio> {
  const streams = ['stdout', 'stderr'] as const;
  const opened = await Promise.allSettled(streams.map((name) => openChannel((data) => on.chunk(name, data))));
  const failed = opened.find((r) => r.status === 'rejected');
  if (failed !== undefined) {
    for (const r of opened) if (r.status === 'fulfilled') for (const s of [r.value.childEnd, r.value.reader]) s.destroy();
    throw failed.reason;
  }
  const [out, err] = opened.map((r) => (r as PromiseFulfilledResult<Channel>).value) as [Channel, Channel];
  const closed = [out, err].map(({ reader }, i) => {
    const name = streams[i]!;
    reader.on('error', (e) => on.error(name, e));
    return new Promise<void>((resolve) => reader.once('close', () => {
      on.end(name);
      resolve();
    }));
  });
  return { childEnds: [out.childEnd, err.childEnd], closed: Promise.all(closed).then(() => undefined) };
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
