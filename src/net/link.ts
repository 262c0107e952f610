// Whether an interface is running (ucarp gives up mastership when it is not; -S turns that off), and
// which interface it is: a deleted and re-created interface has a new index, and sockets tied to the
// old one are deaf and mute. Read from sysfs through a descriptor kept open: one pread per poll, no
// thread-pool round trips; the kept descriptor fails once its interface is deleted.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';

// States in which the kernel will not carry our adverts or the VIP's traffic.
const DOWN = /^(down|lowerlayerdown|notpresent)\b/;

// What the watcher last saw; `ifindex` is undefined while the interface does not exist.
export interface LinkState {
  up: boolean;
  ifindex: number | undefined;
}

// The kernel's index of an interface now, or undefined when there is none by that name.
export function readIfindex(iface: string): number | undefined {
  try {
    const n = Number(readFileSync(`/sys/class/net/${iface}/ifindex`, 'latin1').trim());
    return Number.isSafeInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

// A watcher of /sys/class/net/IFACE/operstate; `unknown` (loopback, some virtual links) counts as up.
// `check()` reads it now (the agent calls it on every election timer, so a master notices a cut link at
// its next advert without extra wake-ups); a slow poll catches changes while nothing else happens, its
// period asked anew before each wait (it is longer while the kernel's link events are heard).
// `onChange` hears every change of either field; the index is read only when the descriptor is (re)opened.
export function watchLink(iface: string, everyMs: () => number, onChange: (s: LinkState) => void, initial: LinkState): { check(): void; stop(): void } {
  const path = `/sys/class/net/${iface}/operstate`;
  const buf = Buffer.alloc(32);
  let fd: number | undefined;
  let ifindex: number | undefined = initial.ifindex;
  let last = initial;
  const close = (): void => {
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
    ifindex = undefined;
  };
  const open = (): number => {
    const before = readIfindex(iface);
    const opened = openSync(path, 'r');
    // Replaced between the two reads: this descriptor may belong to either; look again at the next check.
    if (before === undefined || readIfindex(iface) !== before) {
      closeSync(opened);
      throw new Error(`${iface} changed while opening ${path}`);
    }
    ifindex = before;
    return opened;
  };
  const read = (): boolean => {
    try {
      fd ??= open();
      const n = readSync(fd, buf, 0, buf.length, 0);
      return !DOWN.test(buf.toString('latin1', 0, n));
    } catch {
      // The interface went away (ENODEV on the kept descriptor): down, and reopen on the next read.
      close();
      return false;
    }
  };
  const check = (): void => {
    const up = read();
    if (up === last.up && ifindex === last.ifindex) return;
    last = { up, ifindex };
    onChange(last);
  };
  let timer: NodeJS.Timeout | undefined;
  const poll = (): void => {
    check();
    timer = setTimeout(poll, everyMs());
    timer.unref();
  };
  timer = setTimeout(poll, everyMs());
  timer.unref();
  return {
    check,
    stop() {
      clearTimeout(timer);
      close();
    },
  };
}

// What the kernel says of an interface's link layer (sysfs): its ARPHRD_* type, its IFF_* flags and its
// hardware address ("" on links that have none: tun, WireGuard, GRE, PPP).
export interface LinkLayer {
  type: number;
  flags: number;
  address: string;
}

// The link layer of `iface` now, or undefined when there is no interface by that name.
export function readLinkLayer(iface: string): LinkLayer | undefined {
  try {
    const read = (name: string) => readFileSync(`/sys/class/net/${iface}/${name}`, 'latin1').trim();
    return { type: Number(read('type')), flags: Number(read('flags')), address: read('address') };
  } catch {
    return undefined;
  }
}
