// The operator's commands: `floatd status` asks the agents' control sockets first and falls back to their
// state files; `floatd standby|resume|clear` need an agent that answers. Each returns its exit code.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { socketVhid } from '../config/paths.js';
import { agentAlive, describe, listStateFiles, loadStateDocs, printStatus, STATE_DIR, STATUS_EXIT, type StatusDoc } from '../state/status.js';
import { ask, type Asked } from './client.js';
import { describeControl } from './format.js';
import type { Command, ControlStatus } from './protocol.js';

export interface ControlFlags {
  json?: boolean;
  vhid?: string;
  controlSocket?: string;
  stateFile?: string;
}

const EXIT_FAILED = STATUS_EXIT.error;

// `floatd status`: live agents over their sockets, then the state file of every vhid that did not answer.
// The exit code says whether every vhid shown has a running agent (STATUS_EXIT).
export async function statusCommand(o: ControlFlags): Promise<number> {
  if (o.stateFile !== undefined) return printStatus({ json: o.json, stateFile: o.stateFile });
  const target = await chosen(o);
  if (typeof target === 'number') return target;
  const paths = target ?? (await listSockets());
  const answers = await askAll(paths, 'status');
  const denied = answers.filter((a) => a.asked.kind === 'unreachable' && (a.asked.code === 'EACCES' || a.asked.code === 'EPERM'));
  if (denied.length > 0) {
    // The sockets are root's (mode 0600): a state file would only tell what the agent last wrote, not what it is now.
    note(`permission denied on ${denied.map((a) => a.path).join(', ')}: floatd status asks the agents over their control sockets, which only root may open; run it as root (sudo floatd status)`);
    return STATUS_EXIT.unknown;
  }
  const live = answers.flatMap((a) => (a.asked.kind === 'answer' && a.asked.response.ok ? [a.asked.response.status] : []));
  if (live.length === 0) {
    for (const a of answers) if (target !== undefined || a.asked.kind === 'answer') note(`no status from ${a.path}: ${reason(a.asked)}`);
    if (o.controlSocket !== undefined) return answers.some((a) => a.asked.kind === 'unreachable' && (a.asked.code === 'ENOENT' || a.asked.code === 'ECONNREFUSED')) ? STATUS_EXIT.notRunning : STATUS_EXIT.error;
    return printStatus({ json: o.json, vhid: o.vhid === undefined ? undefined : Number(o.vhid) });
  }
  // Only when no vhid was chosen: the state files of agents whose socket is missing or does not answer.
  const answered = new Set(live.map((s) => s.vhid));
  const rest = target !== undefined ? [] : (await loadStateDocs(await listStateFiles(), false)).filter((d) => !answered.has(d.vhid));
  const docs: (ControlStatus | StatusDoc)[] = [...live, ...rest].sort((a, b) => a.vhid - b.vhid);
  if (o.json) process.stdout.write(`${JSON.stringify(docs.length === 1 ? docs[0] : docs, null, 2)}\n`);
  else process.stdout.write(`${docs.map((d) => ('peers' in d ? describeControl(d as ControlStatus) : `${describe(d)}\n  (from the state file: no agent answered on a control socket for vhid ${d.vhid})`)).join('\n\n')}\n`);
  return rest.every(agentAlive) ? STATUS_EXIT.running : STATUS_EXIT.notRunning;
}

// `floatd standby|resume|clear`: to the one agent running, or the one --vhid / --control-socket names.
export async function controlCommand(cmd: Exclude<Command, 'status'>, o: ControlFlags): Promise<number> {
  const target = await chosen(o);
  if (typeof target === 'number') return target;
  let path = o.controlSocket;
  if (path === undefined) {
    const sockets = target ?? (await listSockets());
    const live = (await askAll(sockets, 'status')).flatMap((a) => (a.asked.kind === 'answer' && a.asked.response.ok ? [{ path: a.path, vhid: a.asked.response.status.vhid, iface: a.asked.response.status.interface }] : []));
    if (live.length === 0) {
      note(`no floatd answers on a control socket${o.vhid === undefined ? '' : ` of vhid ${o.vhid}`} in ${STATE_DIR} (is floatd running? pass --vhid or --control-socket)`);
      return EXIT_FAILED;
    }
    if (live.length > 1) {
      // One vhid on two interfaces is legal (a vhid is per network): then only the socket tells them apart.
      const which = o.vhid === undefined ? `vhid ${live.map((l) => l.vhid).sort((a, b) => a - b).join(', ')}): pass --vhid to choose one` : `vhid ${o.vhid} on ${live.map((l) => `${l.iface} (${l.path})`).join(', ')}): pass --control-socket to choose one`;
      note(`several agents are running (${which}`);
      return EXIT_FAILED;
    }
    path = live[0]?.path as string;
  }
  const asked = await ask(path, cmd);
  if (asked.kind === 'unreachable') {
    note(`no agent answers on ${path} (${asked.reason})`);
    return EXIT_FAILED;
  }
  if (!asked.response.ok) {
    note(`the agent at ${path} refused ${cmd}: ${asked.response.error}`);
    return EXIT_FAILED;
  }
  process.stdout.write(`${asked.response.message}\n${describe(asked.response.status)}\n`);
  return 0;
}

// The sockets --control-socket or --vhid names (a vhid's on every interface, old paths included),
// undefined for "every socket", or an exit code after an error.
async function chosen(o: ControlFlags): Promise<string[] | undefined | number> {
  if (o.vhid !== undefined && o.controlSocket !== undefined) {
    note('give --vhid or --control-socket, not both');
    return EXIT_FAILED;
  }
  if (o.controlSocket !== undefined) return [o.controlSocket];
  if (o.vhid === undefined) return undefined;
  const n = /^\d+$/.test(o.vhid) ? Number(o.vhid) : NaN;
  if (!(n >= 1 && n <= 255)) {
    note(`--vhid must be an integer from 1 to 255, got "${o.vhid}"`);
    return EXIT_FAILED;
  }
  o.vhid = String(n);
  return listSockets(n);
}

// The control sockets in the default place, /run/floatd/<interface>-<vhid>.sock and the older
// /run/floatd/<vhid>.sock, by vhid; only those of `vhid` when it is given.
async function listSockets(vhid?: number): Promise<string[]> {
  const names = await readdir(STATE_DIR).catch(() => [] as string[]);
  const found = names.flatMap((name) => {
    const n = socketVhid(name);
    return n !== undefined && (vhid === undefined || n === vhid) ? [{ name, n }] : [];
  });
  return found.sort((a, b) => a.n - b.n || a.name.localeCompare(b.name)).map((f) => join(STATE_DIR, f.name));
}

function askAll(paths: readonly string[], cmd: Command): Promise<{ path: string; asked: Asked }[]> {
  return Promise.all(paths.map(async (path) => ({ path, asked: await ask(path, cmd) })));
}

function reason(a: Asked): string {
  if (a.kind === 'unreachable') return a.reason;
  return a.response.ok ? 'ok' : a.response.error;
}

function note(text: string): void {
  process.stderr.write(`floatd: ${text}\n`);
}
