// --metrics-listen ADDR:PORT: where the Prometheus endpoint binds. An IPv6 address is written in brackets
// ([::1]:9798), as in a URL, so the port is never mistaken for the address's last group. Pure.
import { isIP } from 'node:net';

export interface ListenAddress {
  host: string; // the address as bound: 127.0.0.1, ::1, 0.0.0.0
  port: number;
}

// The address and port, or a problem naming the flag and quoting the value.
export function parseListenAddress(flag: string, value: string): ListenAddress | string {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(value) ?? /^([^:[\]]+):(\d{1,5})$/.exec(value);
  const host = m?.[1] ?? '';
  const port = Number(m?.[2]);
  const bracketed = value.startsWith('[');
  const family = isIP(host);
  if (!m || family === 0 || (bracketed ? family !== 6 : family !== 4) || !(port >= 1 && port <= 65535)) {
    return `${flag} must be ADDRESS:PORT with an IPv4 address or a bracketed IPv6 one and a port from 1 to 65535 (e.g. 127.0.0.1:9798 or [::1]:9798), got "${value}"`;
  }
  return { host, port };
}
