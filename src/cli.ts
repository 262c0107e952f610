#!/usr/bin/env node
// The floatd executable (package.json "bin": dist/cli.js; the single binary is built from it): the
// commands are in src/cli/. Its own URL is what -B and `floatd demo` run to start another floatd.
import { main } from './cli/program.js';

main(import.meta.url);
