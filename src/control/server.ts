// The control socket (--control-socket, default /run/floatd/<interface>-<vhid>.sock): a unix socket only root can
// connect to, answering `floatd status|standby|resume|clear` from what the agent holds in memory. Nothing
// here can hold the event loop: answers are built synchronously, every connection has a deadline, and
// the number of connections is capped. A socket that cannot be made is an error line, not a stopped agent.
import { chmod, link, lstat, mkdir, mkdtemp, rm, stat, unlink } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import type { Logger } from '../log/log.js';
import { probe } from './client.js';
import { LineReader, encodeLine, parseRequest, type Request, type Response } from './protocol.js';

// A client gets this long from connecting to having its answer, then it is cut off (a slow or silent one
// cannot hold a connection slot for longer).
export const CONNECTION_DEADLINE_MS = 2000;
// Operators run a command now and then; more at once than this is a script gone wrong or an attack.
export const MAX_CONNECTIONS = 8;

// Another live agent answers on the socket path: two agents for one vhid on one host (refuse to start).
export class ControlSocketBusy extends Error {
  override name = 'ControlSocketBusy';
}

export interface ControlServerOptions {
  path: string;
  log: Logger;
  answer(request: Request): Response; // synchronous: from memory, never IO
}

// Listens from start() until close(); the socket file is removed again at close.
export class ControlServer {
  private readonly o: ControlServerOptions;
  private server: Server | undefined;
  private ino: number | undefined; // of the socket file we published, so close() removes only ours
  private readonly open = new Set<Socket>();

  constructor(o: ControlServerOptions) {
    this.o = o;
  }

  // Throws ControlSocketBusy when another agent answers on the path; any other failure is logged.
  async start(): Promise<void> {
    const { path, log } = this.o;
    try {
      await mkdir(dirname(path), { recursive: true, mode: 0o755 });
      if (!(await this.clearStale())) return;
      this.server = await this.publish();
      this.ino = (await stat(path)).ino;
      log.info({ event: 'control', socket: path }, `control socket listening on ${path}`);
    } catch (err) {
      if (err instanceof ControlSocketBusy) throw err;
      this.server?.close();
      this.server = undefined;
      log.error({ event: 'control', socket: path, err: String(err) }, `cannot create the control socket ${path} (${(err as Error).message}): floatd status falls back to the state file, floatd standby/resume/clear will not reach this agent`);
    }
  }

  // True when the path is free now. A socket nobody listens on was left by an agent that died: removed.
  private async clearStale(): Promise<boolean> {
    const { path, log } = this.o;
    const st = await lstat(path).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)));
    if (st === undefined) return true;
    if (!st.isSocket()) {
      log.error({ event: 'control', socket: path }, `--control-socket "${path}" exists and is not a socket: left alone, no control socket for this agent`);
      return false;
    }
    const other = await probe(path);
    if (other.holder === 'live') throw busy(path, other.pid);
    if (other.holder === 'unknown') {
      log.error({ event: 'control', socket: path, reason: other.reason }, `cannot tell whether another agent listens on --control-socket "${path}" (${other.reason}): left alone, no control socket for this agent`);
      return false;
    }
    await unlink(path);
    log.info({ event: 'control', socket: path }, `removed a stale control socket left by an agent that is gone (${path})`);
    return true;
  }

  // Binding creates the socket file with the process umask, and changing the umask would race with every
  // other file the process creates meanwhile (the state file's writes run on libuv's thread pool). So the
  // socket is bound inside a fresh 0700 directory, where nobody but root can reach it, made 0600 there,
  // and only then hard-linked to its real path: it is never reachable with wider permissions. link(2),
  // unlike rename(2), fails when the path exists, so an agent starting at the same moment is not replaced.
  private async publish(): Promise<Server> {
    const { path } = this.o;
    const dir = await mkdtemp(join(dirname(path), '.c'));
    const bound = join(dir, 's');
    const server = createServer((socket) => this.serve(socket));
    server.maxConnections = MAX_CONNECTIONS;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(bound, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', (err) => this.o.log.warn({ event: 'control', err: String(err) }, `control socket error: ${err.message}`));
      await chmod(bound, 0o600);
      await link(bound, path).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
        const other = await probe(path);
        throw other.holder === 'live' ? busy(path, other.pid) : new Error(`${path} appeared while this agent was creating it`);
      });
      return server;
    } catch (err) {
      server.close();
      throw err;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  // One request per connection: read a line, answer it, end. Anything else is cut off.
  private serve(socket: Socket): void {
    this.open.add(socket);
    const deadline = setTimeout(() => socket.destroy(), CONNECTION_DEADLINE_MS);
    deadline.unref();
    socket.once('close', () => {
      clearTimeout(deadline);
      this.open.delete(socket);
    });
    socket.on('error', () => undefined); // a client that hangs up early is no concern of the agent's
    const reader = new LineReader();
    let answered = false;
    socket.on('data', (chunk: Buffer) => {
      if (answered) return;
      const lines = reader.push(chunk);
      if (lines === 'too-long') return this.reply(socket, { ok: false, error: 'request too long: at most 4096 bytes, one JSON object per line' }, () => (answered = true));
      const line = lines[0];
      if (line !== undefined) this.reply(socket, this.answerLine(line), () => (answered = true));
    });
  }

  private reply(socket: Socket, response: Response, mark: () => void): void {
    mark();
    socket.end(encodeLine(response));
  }

  private answerLine(line: string): Response {
    const parsed = parseRequest(line);
    if (!parsed.ok) return parsed;
    try {
      return this.o.answer(parsed.request);
    } catch (err) {
      this.o.log.error({ event: 'control', err: String(err) }, `control request ${parsed.request.cmd} failed: ${String(err)}`);
      return { ok: false, error: `internal error: ${String(err)}` };
    }
  }

  // Stops listening, cuts open connections and removes the socket file if it is still ours.
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const s of this.open) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const path = this.o.path;
    const now = await stat(path).catch(() => undefined);
    if (now && now.ino === this.ino) await unlink(path).catch(() => undefined);
  }
}

function busy(path: string, pid: number | undefined): ControlSocketBusy {
  const who = pid === undefined ? 'another running floatd' : `another running floatd (pid ${pid})`;
  return new ControlSocketBusy(`--control-socket "${path}" is answered by ${who}: two agents for one vhid on one host would both claim the VIP. Stop the other agent, or give each its own --vhid and --control-socket`);
}
