// How floatd starts another floatd (-B re-runs itself detached, `floatd demo` starts its nodes): the single
// binary (npm run build:binary, docs/install.md) is a program of its own, a script needs node and its path.
import { isSea } from 'node:sea';
import { fileURLToPath } from 'node:url';

// The command line that runs this floatd, before its arguments: [binary] or [node, script]. `scriptUrl` is
// the entry script's import.meta.url; inside the binary it is not used (there is no script file).
export function selfCommand(scriptUrl: string): [string, ...string[]] {
  return isSea() ? [process.execPath] : [process.execPath, fileURLToPath(scriptUrl)];
}

// This process's own arguments, after node and the script (or after the binary, which Node also puts in argv[1]).
export function ownArguments(): string[] {
  return process.argv.slice(2);
}
