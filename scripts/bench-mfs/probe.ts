// The client's view of a failover: loops on the client host, one creating a file (a metadata operation the
// master must answer) every 50 ms, one reading a not-yet-read file's data (master lookup + chunkserver read), and
// one asking the master behind the VIP which chunkservers it has (mfscli -SCS: exit 0 when it lists CS_IP);
// each logs "start end exit" in ms of the wall clock. Every operation has its own `timeout -k`.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MfsLab, RunResult } from '../../test/e2e/mfs-lab.js';

export interface Op {
  start: number;
  end: number;
  code: number;
}

const LOOP = (mnt: string, out: string, stop: string, op: string) => `
i=0
while [ ! -e ${stop} ]; do
  s=$(date +%s%3N); rc=0; timeout -k 1 60 ${op} || rc=$?; e=$(date +%s%3N)
  echo "$s $e $rc" >> ${out}
  i=$((i + 1)); sleep 0.05
done`;

// Both loops, running until stop(); ops() reads what they logged.
export class ClientProbe {
  private readonly runs: Promise<RunResult>[] = [];
  private readonly dir: string;

  constructor(lab: MfsLab, readFiles: number, vip: string) {
    const cl = lab.host('cl');
    this.dir = cl.dir;
    const mnt = lab.mnt;
    for (const f of ['meta.log', 'read.log', 'cs.log']) writeFileSync(join(this.dir, f), '');
    const stop = join(this.dir, 'probe.stop');
    this.runs.push(lab.shell(cl, `mkdir -p ${mnt}/probe; ${LOOP(mnt, join(this.dir, 'meta.log'), stop, `touch ${mnt}/probe/m$i`)}`, 600_000));
    this.runs.push(lab.shell(cl, LOOP(mnt, join(this.dir, 'read.log'), stop, `cat ${mnt}/reads/r$((i % ${readFiles})) >/dev/null`), 600_000));
    const cs = lab.host('cs').ip.replace(/\./g, '\\.');
    this.runs.push(lab.shell(cl, LOOP(mnt, join(this.dir, 'cs.log'), stop, `timeout 1 sh -c 'mfscli -H ${vip} -p -SCS 2>/dev/null | grep -q "${cs}"'`), 600_000));
  }

  // The first operation of a loop that started at or after `t` and ended at or after `after` (ms since the epoch).
  firstAfter(kind: 'meta' | 'read' | 'cs', t: number, after = t): Op | undefined {
    return this.ops(kind).find((o) => o.start >= t && o.end >= after && (kind !== 'cs' || o.code === 0));
  }

  ops(kind: 'meta' | 'read' | 'cs'): Op[] {
    return readFileSync(join(this.dir, `${kind}.log`), 'utf8').split('\n').filter(Boolean).map((l) => {
      const [start, end, code] = l.split(' ').map(Number) as [number, number, number];
      return { start, end, code };
    });
  }

  async stop(): Promise<void> {
    writeFileSync(join(this.dir, 'probe.stop'), '');
    await Promise.all(this.runs);
  }
}

// Files for the read loop: N small files, each read once per N iterations (so its chunk location is not cached).
export async function writeReadFiles(lab: MfsLab, n: number): Promise<void> {
  const r = await lab.shell(lab.host('cl'), `mkdir -p ${lab.mnt}/reads; i=0; while [ $i -lt ${n} ]; do head -c 65536 /dev/urandom > ${lab.mnt}/reads/r$i; i=$((i + 1)); done; sync`, 120_000);
  if (r.code !== 0) throw new Error(`writing the read files failed: ${r.out}`);
}
