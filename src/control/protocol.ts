// The control socket's language: one JSON object per line each way. Pure: the server and the client
// frame bytes with LineReader and turn lines into requests and answers with the functions here.
import type { CheckStatus } from '../checks/runner.js';
import type { StateFile } from '../state/state-file.js';

// What an operator can ask of a running agent (floatd status|standby|resume|clear).
export const COMMANDS = ['status', 'standby', 'resume', 'clear'] as const;
export type Command = (typeof COMMANDS)[number];

export interface Request {
  cmd: Command;
}

// A request is a few dozen bytes; 4 KiB leaves room for later fields while a client that streams bytes
// without a newline is cut off before it can make the agent buffer more than that.
export const MAX_REQUEST_BYTES = 4096;

// One peer as `floatd status` shows it (src/agent/peers.ts keeps them).
export interface PeerStatus {
  address: string;
  type: 'advert' | 'resign' | 'presence'; // of its last advert
  advbaseMs: number;
  advskew: number;
  intervalMs: number; // how often it advertises: advbase + advskew/256 s
  epoch: number;
  count: number; // authentic adverts heard
  behind: number; // of those, older than adverts already accepted from it (src/net/transport.ts)
  lastSeen: string; // ISO
  lastSeenAgoMs: number;
}

// A health check's state as the checks module reports it.
export type { CheckStatus };

// One finished hook (src/agent/hook-history.ts).
export interface HookRecord {
  phase: string;
  path: string;
  ok: boolean;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  cancelled: boolean;
  durationMs: number;
  endedAt: string; // ISO
}

// The last verdict of the takeover gate, what stands between a backup and promotion: the takeover checks
// and, after a master failure, the fence ("passed", "/etc/floatd/check exited 1", "fence of … failed: …").
export interface GateVerdict {
  ok: boolean;
  detail: string;
  at: string; // ISO
}

// `floatd status` over the socket: the state file's document and what only the running agent knows.
export interface ControlStatus extends StateFile {
  peers: PeerStatus[];
  checks: CheckStatus[];
  gate: GateVerdict | null;
  hooks: HookRecord[]; // oldest first
}

export type Response =
  | { ok: true; cmd: Command; message: string; status: ControlStatus }
  | { ok: false; error: string };

// Splits a byte stream into lines; refuses a line longer than `max` bytes (counted before it ends).
export class LineReader {
  private readonly max: number;
  private pending = '';
  private pendingBytes = 0;

  constructor(max = MAX_REQUEST_BYTES) {
    this.max = max;
  }

  // Complete lines in `chunk` (without their newline), or 'too-long' once a line exceeds the cap.
  push(chunk: Buffer | string): string[] | 'too-long' {
    const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    const parts = (this.pending + text).split('\n');
    this.pending = parts.pop() ?? '';
    this.pendingBytes = Buffer.byteLength(this.pending);
    if (this.pendingBytes > this.max || parts.some((p) => Buffer.byteLength(p) > this.max)) return 'too-long';
    return parts.map((p) => (p.endsWith('\r') ? p.slice(0, -1) : p));
  }
}

// A line from a client: a Request, or an error to send back (never a throw).
export function parseRequest(line: string): { ok: true; request: Request } | { ok: false; error: string } {
  if (Buffer.byteLength(line) > MAX_REQUEST_BYTES) return { ok: false, error: `request longer than ${MAX_REQUEST_BYTES} bytes` };
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, error: 'request is not JSON: send one object per line, e.g. {"cmd":"status"}' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, error: 'request must be a JSON object, e.g. {"cmd":"status"}' };
  const cmd = (value as { cmd?: unknown }).cmd;
  if (typeof cmd !== 'string' || !(COMMANDS as readonly string[]).includes(cmd)) {
    return { ok: false, error: `unknown cmd ${JSON.stringify(cmd ?? null)}: one of ${COMMANDS.join(', ')}` };
  }
  return { ok: true, request: { cmd: cmd as Command } };
}

// An answer from the agent: a Response, or undefined when the line is not one.
export function parseResponse(line: string): Response | undefined {
  try {
    const value = JSON.parse(line) as Partial<Response> | null;
    if (typeof value !== 'object' || value === null) return undefined;
    if (value.ok === false && typeof value.error === 'string') return value as Response;
    if (value.ok === true && typeof value.status === 'object' && value.status !== null && typeof value.message === 'string') return value as Response;
    return undefined;
  } catch {
    return undefined;
  }
}

// One message as it goes on the socket.
export function encodeLine(message: Request | Response): string {
  return `${JSON.stringify(message)}\n`;
}
