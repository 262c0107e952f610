// V8 flags for a small idle footprint, set from inside the process: Node 20's single binary has no
// execArgv in its sea-config (added later: nodejs/node#59314), and NODE_OPTIONS refuses these flags, so
// v8.setFlagsFromString is the one way that works the same for `node dist/cli.js` and dist/floatd.
// Imported first by src/cli.ts, before any other module of floatd is evaluated.
import { setFlagsFromString } from 'node:v8';

// --no-opt: no TurboFan. An idle agent runs a few hundred short calls a second; TurboFan compiling them
// touched about 3 MB more of node's own code pages (resident for the life of the process) and saved no
// measurable CPU at -b 1. --no-sparkplug: no baseline compiler either, the interpreter runs everything:
// 0.7 MB less (its code in the heap, its compiler's pages) at the same CPU within the noise (both measured
// in docs/benchmarks.md, "Idle RSS and CPU of the single binary"). Both are read when V8 decides to tier
// up, so setting them now is in time; flags that size the heap are not (read when the isolate is made).
export const IDLE_V8_FLAGS = ['--no-opt', '--no-sparkplug'] as const;

for (const flag of IDLE_V8_FLAGS) setFlagsFromString(flag);
