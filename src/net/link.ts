// Whether an interface is running (ucarp gives up mastership when it is not; -S turns that off).
// Read from sysfs through a descriptor kept open: one pread per poll, no thread-pool round trips.
import { closeSync, openSync, readSync } from 'node:fs';

// States in which the kernel will not carry our adverts or the VIP's traffic.
const DOWN = /^(down|lowerlayerdown|notpresent)\b/;

// A poller of /sys/class/net/IFACE/operstate; `unknown` (loopback, some virtual links) counts as up.
export function watchLink(iface: string, everyMs: number, onChange: (up: boolean) => void, initial = true): { stop(): void } {
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
      // The interface went away (or was renamed): down, and reopen on the next poll.
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
      return false;
    }
  };
  const timer = setInterval(() => {
    const up = read();
    if (up === last) return;
    last = up;
    onChange(up);
  }, everyMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
