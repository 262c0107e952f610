// A small cursor over a received packet instead of offset bookkeeping (after pg-protocol's reader). Pure.

export function reader(b: Buffer, start = 0) {
  let at = start;
  const take = (n: number) => {
    const from = at;
    at += n;
    return from;
  };
  return {
    u8: () => b.readUInt8(take(1)),
    u16: () => b.readUInt16BE(take(2)),
    u32: () => b.readUInt32BE(take(4)),
    u64: () => b.readBigUInt64BE(take(8)),
    skip: (n: number) => void take(n),
    ipv4: () => {
      const i = take(4);
      return `${b[i]}.${b[i + 1]}.${b[i + 2]}.${b[i + 3]}`;
    },
  };
}
