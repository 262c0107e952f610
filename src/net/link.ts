// Whether an interface is running (ucarp gives up mastership when it is not; -S turns that off).
// Read from sysfs through a descriptor kept open: one pread per poll, no thread-pool round trips.
import { closeSync, openSync, readSync } from 'node:fs';

// States in which the kernel will not carry our adverts or the VIP's traffic.
const DOWN = /^(down|lowerlayerdown|notpresent)\b/;

// A watcher of /sys/class/net/IFACE/operstate; `unknown` (loopback, some virtual links) counts as up.
// `check()` reads it now (the agent calls it on every election timer, so a master notices a cut link at
// its next advert without extra wake-ups); a slow poll catches changes while nothing else happens.
export function watchLink(iface: string, everyMs: number, onChange: (up: boolean) => void, initial = true): { check(): void; stop(): void } {
  const path = `/sys/class/net/${iface}/operstate`;
  const buf = Buffer.alloc(32);
  let fd: number | undefined;
  let last = initial;
  const read = (): boolean => {
    try {
      fd ??= openSync(path, 'r');
      const n = readSync(fd, buf, 0, buf.length, 0);
      return !DOWN.test(buf.toString('latin1', 0, n));
    } catch {
      // The interface went away (or was renamed): down, and reopen on the next read.
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
      return false;
    }
  };
  const check = (): void => {
    const up = read();
    if (up === last) return;
    last = up;
    onChange(up);
  };
  const timer = setInterval(check, everyMs);
  timer.unref();
  return {
    check,
    stop() {
      clearInterval(timer);
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
