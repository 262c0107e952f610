// The floatd command: the commander program is built from the option table; this is the only place
// that exits the process. The executable that runs it is src/cli.ts.
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { runAgent } from '../agent/agent.js';
import { runCleanup } from './cleanup.js';
import { ConfigError, validate, type Config } from '../config/config.js';
import { runDemo } from './demo.js';
import { NOT_FOR_A_WITNESS, UNUSED_BY_A_WITNESS, validateWitness } from '../config/witness.js';
import { createLogger } from '../log/log.js';
import { OPTIONS, attributeOf, flagsOf, type OptionSpec, type RawOptions } from '../config/options.js';
import { exposedWarning, keysOf, readSecret, SecretError, type Secret } from '../config/secret.js';
import { ownArguments, selfCommand } from './self-command.js';
import { versionLine } from './version.js';
import { controlCommand, statusCommand, type ControlFlags } from '../control/commands.js';
import { STATUS_EXIT } from '../state/status.js';
import type { Command as ControlCommand } from '../control/protocol.js';
import { ControlSocketBusy } from '../control/server.js';
import { startNotifier } from '../systemd/notify.js';
import { TransportError } from '../net/transport.js';
import { MetricsListenError } from '../metrics/http-server.js';

const EXIT_USAGE = 1;
// How long the exit waits for unwritten log lines.
const LOG_FLUSH_MS = 1000;

// `floatd status --help` ends with what its exit code means (docs/operations.md says the same).
const STATUS_EXIT_HELP = `
Exit status:
  ${STATUS_EXIT.running}  every vhid shown has a running agent (it answered on its control socket, or its state file names a running floatd)
  ${STATUS_EXIT.error}  a bad flag, or --state-file is not a floatd state file
  ${STATUS_EXIT.notRunning}  not running: a vhid shown has only the state file of an agent that is gone (stale), or nothing was found
  ${STATUS_EXIT.unknown}  unknown: the control sockets are root's and this user may not open them (run it as root)`;

// Fails startup with a message naming the flag; nothing has been started when this is thrown.
class StartupError extends Error {
  override name = 'StartupError';
}

function buildProgram(entryUrl: string): Command {
  const program = new Command('floatd')
    .description('Elect one master per virtual IP over UDP (ucarp-compatible flags) and run ordered hooks.')
    // -V: ucarp has no version flag (its -h prints the version above the usage), and -v is its --vhid.
    .version(versionLine(), '-V, --version', 'print the version and the commit it was built from, then exit')
    .enablePositionalOptions()
    .showHelpAfterError('(run floatd --help for the flags)')
    .configureOutput({ outputError: (s, write) => write(`floatd: ${s}`) });
  addAgentOptions(program);
  program.action(async (opts: Record<string, unknown>) => process.exit(await startAgent(toRaw(opts), entryUrl)));

  program
    .command('status')
    .description('print the state of the running agents: asked over their control sockets, else read from their state files')
    .option('--json', 'print the status as JSON')
    .option('--vhid <id>', 'only this vhid (its sockets /run/floatd/<interface>-<vhid>.sock and /run/floatd/<vhid>.sock, else its state file)')
    .option('--control-socket <file>', 'ask the agent on this socket only')
    .option('--state-file <file>', 'read this state file only, without asking any agent (default: every /run/floatd/*.json when no agent answers)')
    .addHelpText('after', STATUS_EXIT_HELP)
    .action(async (o: ControlFlags) => process.exit(await statusCommand(o)));

  const control: [Exclude<ControlCommand, 'status'>, string][] = [
    ['standby', 'hand over gracefully (down hooks, VIP removal, resign) if master, and stay BACKUP until resume: maintenance'],
    ['resume', 'end a standby: take part in the election again'],
    ['clear', 'forget the failed masterships counted against this node and lift the bar they set'],
  ];
  for (const [name, description] of control) {
    program
      .command(name)
      .description(`${description} (asks the running agent over its control socket)`)
      .option('--vhid <id>', 'the agent of this vhid (needed when several run)')
      .option('--control-socket <file>', "the agent on this socket (its --control-socket)")
      .action(async (o: ControlFlags) => process.exit(await controlCommand(name, o)));
  }

  // The same flags as the agent, so a unit passes one $FLOATD_OPTS to both.
  const cleanup = program
    .command('cleanup')
    .description('after an agent died without cleaning up (SIGKILL, OOM, crash): remove its VIP and run its down hooks; does nothing while the agent of this vhid runs (systemd ExecStopPost=)');
  addAgentOptions(cleanup);
  cleanup.action(async (opts: Record<string, unknown>) => process.exit(await startCleanup(toRaw(opts))));

  // The agent's flags, but its help shows only those a witness uses. The others are still declared (hidden),
  // so a VIP or a hook given to a witness is refused naming the flag (validateWitness), not as unknown.
  const witness = program
    .command('witness')
    .description('a vote only, for a two-node cluster: sends presence and supports one candidate at a time, never claims, holds no VIP, runs no hooks (list it as a --peer on the candidates, or count it in --nodes)')
    .addHelpText('after', `\nRefused (a witness holds no VIP and runs no hooks):\n${wrap(NOT_FOR_A_WITNESS.map(flagName).join(', '))}\nAccepted, but unused by a witness:\n${wrap(UNUSED_BY_A_WITNESS.map(flagName).join(', '))}`);
  addAgentOptions(witness, new Set([...NOT_FOR_A_WITNESS, ...UNUSED_BY_A_WITNESS]));
  witness.action(async (opts: Record<string, unknown>) => process.exit(await startAgent(toRaw(opts), entryUrl, validateWitness)));

  program
    .command('demo')
    .description('run a 3-node cluster on loopback (no root, no config), kill its master and show the failover')
    .action(async () => process.exit(await runDemo(selfCommand(entryUrl))));
  return program;
}

// Every row of the option table, on the program (the agent) or on a subcommand that takes the agent's flags;
// the rows named in `hidden` are parsed but left out of --help.
function addAgentOptions(cmd: Command, hidden: ReadonlySet<string> = new Set()): void {
  for (const spec of OPTIONS as readonly OptionSpec[]) {
    const opt = new Option(flagsOf(spec), spec.description);
    if (hidden.has(spec.long)) opt.hideHelp();
    if (spec.repeatable) opt.argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]);
    cmd.addOption(spec.default === undefined ? opt : opt.default(spec.default));
    for (const alias of spec.aliases ?? []) {
      cmd.addOption(new Option(`--${alias} <${spec.arg}>`, `alias of --${spec.long}`).hideHelp());
    }
  }
}

// "-a/--addr" or "--hooks-dir", as an operator types it.
function flagName(long: string): string {
  const short = (OPTIONS as readonly OptionSpec[]).find((o) => o.long === long)?.short;
  return short === undefined ? `--${long}` : `-${short}/--${long}`;
}

// A list for the end of --help, indented by two and broken between words before column 80.
function wrap(text: string): string {
  const lines: string[] = [];
  for (const word of text.split(' ')) {
    const last = lines.length - 1;
    if (last >= 0 && (lines[last] ?? '').length + 1 + word.length <= 78) lines[last] += ` ${word}`;
    else lines.push(word);
  }
  return lines.map((l) => `  ${l}`).join('\n');
}

// Commander keys are camelCase; the option table speaks in long names.
function toRaw(opts: Record<string, unknown>): RawOptions {
  const raw: Record<string, unknown> = {};
  for (const spec of OPTIONS as readonly OptionSpec[]) {
    const value = opts[attributeOf(spec.long)];
    if (value !== undefined) raw[spec.long] = value;
    for (const alias of spec.aliases ?? []) {
      const a = opts[attributeOf(alias)];
      if (a !== undefined) raw[spec.long] = a;
    }
  }
  return raw as RawOptions;
}

async function startAgent(raw: RawOptions, entryUrl: string, check: typeof validate = validate): Promise<number> {
  let cfg: Config;
  let secret: Secret;
  try {
    cfg = check(raw, process.env);
    secret = await readSecret(cfg.secret);
    await checkPaths(cfg);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof StartupError || err instanceof SecretError) {
      for (const line of err.message.split('\n')) process.stderr.write(`floatd: ${line}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
  if (cfg.daemonize && process.env.FLOATD_DAEMON_CHILD !== '1') return daemonize(cfg, entryUrl);
  const { log, sink } = await createLogger({ format: cfg.logFormat, debug: cfg.debug, base: { vhid: cfg.vhid } });
  // Node's own warnings go to the log too: printed, they would open stderr as a blocking stream, and a
  // paused terminal would then hold the event loop.
  process.removeAllListeners('warning');
  process.on('warning', (w) => log.warn({ event: 'node-warning', name: w.name }, w.message));
  if (cfg.secret.kind === 'pass' && !cfg.secret.fromEnv) log.warn('--pass puts the secret on the command line, visible to every user in ps: use --passfile or FLOATD_PASSFILE');
  if (secret.exposed) log.warn({ event: 'secret-mode', passfile: secret.exposed.path, mode: secret.exposed.mode }, exposedWarning(secret.exposed));
  if (secret.trimmed > 0) log.warn({ trimmed: secret.trimmed }, `the shared secret had ${secret.trimmed} space/tab character(s) around it, which are not part of it (docs/operations.md: secrets)`);
  // Before anything is spawned: hooks must not inherit NOTIFY_SOCKET.
  const notifier = startNotifier(process.env, log);
  try {
    if (secret.keys) log.info({ event: 'keys', active: secret.keys.active, accepted: secret.keys.keys.map((k) => k.id) }, `keys from ${cfg.secret.kind === 'file' ? cfg.secret.path : 'the passfile'}: signing with "${secret.keys.active}", accepting ${secret.keys.keys.map((k) => `"${k.id}"`).join(', ')}`);
    return await runAgent(cfg, { log, secret: secret.key, keys: keysOf(secret), notifier });
  } catch (err) {
    if (err instanceof TransportError || err instanceof ControlSocketBusy || err instanceof MetricsListenError) {
      log.fatal(err.message);
      return EXIT_USAGE;
    }
    throw err;
  } finally {
    // The last lines ("floatd stopped") get a moment to go out; a stalled log output cannot hold the exit.
    await sink.flush(LOG_FLUSH_MS);
  }
}

// `floatd cleanup`: validated like the agent's flags (a bad one exits 1 the same way), but the secret
// is not needed and paths are not checked (the interface may be gone: then so is the VIP).
async function startCleanup(raw: RawOptions): Promise<number> {
  let cfg: Config;
  try {
    cfg = validate(raw, process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const line of err.message.split('\n')) process.stderr.write(`floatd cleanup: ${line}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
  const { log, sink } = await createLogger({ format: cfg.logFormat, debug: cfg.debug, base: { vhid: cfg.vhid, command: 'cleanup' } });
  try {
    return await runCleanup(cfg, { log, env: process.env });
  } finally {
    await sink.flush(LOG_FLUSH_MS);
  }
}

async function checkPaths(cfg: Config): Promise<void> {
  await access(`/sys/class/net/${cfg.interface}`).catch(() => {
    throw new StartupError(`--interface "${cfg.interface}" does not exist on this host (see: ip link)`);
  });
  const scripts: [string, string | undefined][] = [['--upscript', cfg.upscript], ['--downscript', cfg.downscript], ...cfg.takeoverChecks.map((p): [string, string] => ['--takeover-check', p]), ['--fence', cfg.fence], ['--data-version', cfg.dataVersion]];
  for (const [flag, path] of scripts) {
    if (path === undefined) continue;
    // X_OK: a script that cannot run would only fail at the first failover, when it matters most.
    await access(path, constants.X_OK).catch(() => {
      throw new StartupError(`${flag} "${path}" is not an executable file`);
    });
  }
  if (cfg.hooksDir !== undefined) {
    await access(cfg.hooksDir).catch(() => {
      throw new StartupError(`--hooks-dir "${cfg.hooksDir}" does not exist`);
    });
  }
}

// -B: re-run detached with stdout and stderr piped into logger(1) at the chosen syslog facility.
function daemonize(cfg: Config, entryUrl: string): number {
  const argv = [...selfCommand(entryUrl), ...ownArguments()].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(' ');
  const script = `exec </dev/null; ${argv} 2>&1 | logger -t floatd -p ${cfg.facility}.notice`;
  const child = spawn('/bin/sh', ['-c', script], { detached: true, stdio: 'ignore', env: { ...process.env, FLOATD_DAEMON_CHILD: '1' } });
  child.unref();
  return 0;
}

// Runs the command line. `entryUrl` is the import.meta.url of the executable (src/cli.ts): -B and
// `floatd demo` start floatd again through it (self-command.ts).
export function main(entryUrl: string): void {
  buildProgram(entryUrl)
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      process.stderr.write(`floatd: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(2);
    });
}
