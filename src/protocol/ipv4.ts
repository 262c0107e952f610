// IPv4 addresses as the wire carries them: four bytes in network order. Pure.

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

// True for a dotted-quad IPv4 address without leading zeros.
export function isIPv4(s: string): boolean {
  return IPV4.test(s);
}

// The four bytes of an IPv4 address in network order.
export function ipv4Bytes(s: string): number[] {
  if (!isIPv4(s)) throw new RangeError(`not an IPv4 address: "${s}"`);
  return s.split('.').map(Number);
}

export function writeIPv4(b: Buffer, at: number, s: string): void {
  ipv4Bytes(s).forEach((byte, i) => b.writeUInt8(byte, at + i));
}
