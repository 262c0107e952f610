// The observer's client: runs in the observer's namespace and, every few milliseconds, opens a TCP
// connection to VIP:9 through the kernel's own neighbour cache, as any client would. A SYN to a closed
// port is answered with a RST at once by whichever host owns the VIP behind the MAC the cache points to;
// the MAC is read from /proc/net/arp before the SYN and after the answer, and an answer counts only when
// both readings agree. Prints "<CLOCK_MONOTONIC ms> <mac>" each time the answering MAC changes.
// Usage: node probe.mjs VIP EVERY_MS
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

const [vip, everyArg] = process.argv.slice(2);
const everyMs = Number(everyArg ?? '5');
// A probe left unanswered this long is given up (a SYN to a host that is gone is retried only after 1 s).
const GIVE_UP_MS = 250;
// ATF_COM: the entry has a hardware address (reachable, stale, delay or probe).
const ATF_COM = 0x2;

const now = () => Number(process.hrtime.bigint()) / 1e6;

// The MAC the observer's kernel would send to for the VIP right now, or '' when it has none.
function cachedMac() {
  let text = '';
  try {
    text = readFileSync('/proc/net/arp', 'utf8');
  } catch {
    return '';
  }
  for (const line of text.split('\n')) {
    const [ip, , flags, mac] = line.trim().split(/\s+/);
    if (ip === vip && (Number(flags) & ATF_COM) !== 0) return mac ?? '';
  }
  return '';
}

let last = '';
function report(mac) {
  if (mac === last) return;
  last = mac;
  process.stdout.write(`${now().toFixed(3)} ${mac}\n`);
}

function probe() {
  const before = cachedMac();
  const socket = connect({ host: vip, port: 9 });
  const answered = () => {
    clearTimeout(timer);
    socket.destroy();
    const after = cachedMac();
    if (after !== '' && after === before) report(after);
  };
  const timer = setTimeout(() => socket.destroy(), GIVE_UP_MS);
  socket.on('connect', answered);
  socket.on('error', (err) => {
    if (err.code === 'ECONNREFUSED') answered();
    else clearTimeout(timer);
  });
}

// Bounded: the bench kills the probe, and it ends by itself after an hour should that ever fail.
const interval = setInterval(probe, everyMs);
setTimeout(() => {
  clearInterval(interval);
  process.exit(0);
}, 3_600_000).unref();
process.stdout.write(`${now().toFixed(3)} start\n`);
