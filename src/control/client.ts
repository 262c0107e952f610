// The client side of the control socket: one request, one answer line, under a deadline. Never throws:
// an agent that is gone, or does not answer in time, comes back as `unreachable` with the reason.
import { connect } from 'node:net';
import { LineReader, encodeLine, parseResponse, type Command, type Response } from './protocol.js';

// An answer is built from memory at once; this only has to cover a busy machine.
export const ASK_TIMEOUT_MS = 3000;
// An answer carries a status document: far more than a request, still bounded.
const MAX_ANSWER_BYTES = 1024 * 1024;

export type Asked = { kind: 'answer'; response: Response } | { kind: 'unreachable'; reason: string; code: string | undefined };

// Sends {cmd} to the agent at `path` and waits for its one-line answer.
export function ask(path: string, cmd: Command, timeoutMs = ASK_TIMEOUT_MS): Promise<Asked> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const reader = new LineReader(MAX_ANSWER_BYTES);
    let done = false;
    const finish = (result: Asked) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ kind: 'unreachable', reason: `no answer within ${timeoutMs} ms`, code: 'ETIMEDOUT' }), timeoutMs);
    socket.on('connect', () => socket.write(encodeLine({ cmd })));
    socket.on('error', (err: NodeJS.ErrnoException) => finish({ kind: 'unreachable', reason: err.message, code: err.code }));
    socket.on('data', (chunk: Buffer) => {
      const lines = reader.push(chunk);
      if (lines === 'too-long') return finish({ kind: 'unreachable', reason: 'answer too long', code: undefined });
      const line = lines[0];
      if (line === undefined) return;
      const response = parseResponse(line);
      finish(response ? { kind: 'answer', response } : { kind: 'unreachable', reason: 'the answer is not a floatd control answer', code: undefined });
    });
    socket.on('end', () => finish({ kind: 'unreachable', reason: 'connection closed without an answer', code: undefined }));
  });
}

// Who holds the socket path: a live agent (it answered, or accepted the connection and stayed silent, as a
// stopped one does), nobody (a refused connection: the file was left by an agent that died), or unknown
// (e.g. EACCES), with the agent's pid when it said.
export async function probe(path: string, timeoutMs = 1000): Promise<{ holder: 'live' | 'stale' | 'unknown'; pid: number | undefined; reason: string }> {
  const r = await ask(path, 'status', timeoutMs);
  if (r.kind === 'answer') return { holder: 'live', pid: r.response.ok ? r.response.status.pid : undefined, reason: 'it answered' };
  if (r.code === 'ECONNREFUSED' || r.code === 'ENOENT') return { holder: 'stale', pid: undefined, reason: r.reason };
  // Connected but silent, or a full backlog: somebody listens.
  if (r.code === 'ETIMEDOUT' || r.code === 'EAGAIN' || r.code === undefined) return { holder: 'live', pid: undefined, reason: r.reason };
  return { holder: 'unknown', pid: undefined, reason: r.reason };
}
