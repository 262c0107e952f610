// The kernel channel's helper: floatd-kernel-helper, a small C program of floatd's own (kernel-helper.c
// beside this file, built by scripts/build-helper.mjs with `npm run build` and `npm run build:binary`). It
// owns the sockets Node cannot open without a native addon (which a single binary cannot carry): a
// netlink socket for address changes, one bound to RTMGRP_LINK for link events, and an AF_PACKET socket
// for gratuitous ARP and neighbour advertisements. It moves bytes only: every message is encoded and
// decoded in src/net/netlink.ts and src/net/announce-frames.ts, where tests reach them.
//
// Its stdin, one request a line, answered in order on stdout:
//   N <hex>            a netlink request (one message) → N <hex of every answer up to the ack or the dump's end> | N! <error>
//   P <ifindex> <hex>  an Ethernet frame to send on that interface → P | P! <error>
//   A <ifindex> <hex> <frame hex>…  a netlink request (an address added) and, once the kernel has accepted
//                      it, the frames at once, with no round trip through the agent → as N
// and, unasked, `E <hex>` for each read of link events (`E! <error>` when the kernel dropped some: look again).
// Anything else is answered `X! unknown request`. An N answer holds only messages the kernel sent to the
// helper's port with the request's sequence number (a late answer to an earlier request is skipped), read
// whole (never cut: MSG_TRUNC is an error); with an error the kernel's reason in words comes along
// (NETLINK_EXT_ACK, decoded by decodeAck). A kernel silent for 500 ms gets `N! no answer …`: the helper
// never waits for ever. It says `R` once its sockets are open, exits 77 with a message on stderr when the
// kernel refuses them (no CAP_NET_RAW, a seccomp filter: retrying will not help), and ends at the end of
// its input or when its parent dies (PR_SET_PDEATHSIG), however the agent exited. INT, TERM and HUP are
// ignored: a Ctrl-C or a signal to the process group must not take the VIP's channel away while the agent
// still releases it.
//
// Why C and not a script: perl is absent on minimal hosts (RHEL minimal, UBI, distroless), and an
// interpreter started with a program on its command line that opens packet and netlink sockets is what
// endpoint-security rules flag as a reverse shell; a named program at a fixed, packaged path is not.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isSea } from 'node:sea';
import { fileURLToPath } from 'node:url';

export const HELPER_NAME = 'floatd-kernel-helper';
// Names the helper to run, instead of the places below (packagers with another LIBDIR, tests).
export const HELPER_ENV = 'FLOATD_KERNEL_HELPER';
// Where scripts/install.sh puts it by default (LIBDIR=/usr/lib/floatd).
export const INSTALLED_HELPER = `/usr/lib/floatd/${HELPER_NAME}`;
// The helper's exit status when the kernel refused its sockets.
export const EXIT_REFUSED = 77;

// The places the helper is looked for, in order: $FLOATD_KERNEL_HELPER alone when it is set; else beside
// the program (dist/ holds both the binary or cli.js and the helper after a build; the binary's own
// directory in a package that keeps them together), then the installed one.
export function helperCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const named = env[HELPER_ENV];
  if (named) return [named];
  // Inside the single binary there is no script file: the binary's directory. Else this module is
  // dist/net/kernel-helper.js and the helper dist/floatd-kernel-helper.
  const beside = isSea() ? join(dirname(process.execPath), HELPER_NAME) : fileURLToPath(new URL(`../${HELPER_NAME}`, import.meta.url));
  return [beside, INSTALLED_HELPER];
}

// The helper's command line: the first candidate that exists, or the first one (whose spawn then fails
// with ENOENT, and the channel says where it looked).
export function helperCommand(env: NodeJS.ProcessEnv = process.env): [string] {
  const all = helperCandidates(env);
  return [all.find((p) => existsSync(p)) ?? (all[0] as string)];
}
