// `npm run bench:services`: the two set-ups floatd replaces Pacemaker for, besides MooseFS — NFS-Ganesha on a
// shared LUN (hooks/nfs) and nginx with its document root on it (hooks/service) — each failed over by a host death
// and by a graceful handover (SIGTERM, -z), BENCH_REPEAT times (default 3), in fresh namespace labs. Prints every run,
// then the medians: the VIP on the new master, the client's longest pause, and for NFS its first read after the VIP
// beside the target (promotion + 5 s). Asserts nothing.
import { it } from 'vitest';
import { missing } from '../../test/e2e/service-lab.js';
import { summarize } from '../bench/stats.js';
import { runTrial, type Figures, type TrialSpec } from './trial.js';

const REPEAT = Math.max(1, Number(process.env.BENCH_REPEAT ?? '3') || 3);
const TARGET_AFTER_VIP_MS = 5000;
const unavailable = missing(['ganesha.nfsd', 'nfs-cat', 'nginx', 'mkfs.ext4', 'xfs_io']);

const SPECS: TrialSpec[] = [
  { label: 'NFS-Ganesha, NFSv4.1 client, --fence', service: 'nfs', fault: 'crash', guard: 'fence' },
  { label: 'NFS-Ganesha, NFSv4.1 client, mmp', service: 'nfs', fault: 'crash', guard: 'mmp' },
  { label: 'NFS-Ganesha, NFSv4.1 client, mmp', service: 'nfs', fault: 'graceful', guard: 'mmp' },
  { label: 'NFS-Ganesha, NFSv4.1 + NFSv4.0 (nfs-cat) clients, --fence', service: 'nfs', fault: 'crash', guard: 'fence', v40Clients: true },
  { label: 'nginx, HTTP client every 50 ms, --fence', service: 'web', fault: 'crash', guard: 'fence' },
  { label: 'nginx, HTTP client every 50 ms, --fence', service: 'web', fault: 'graceful', guard: 'fence' },
];

const s = (ms: number | undefined) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(2)} s`);

function row(f: Figures): string[] {
  return [f.label, f.fault, s(f.mount), s(f.vip), s(f.pause), s(f.afterVip), s(f.v40Pause), s(f.oldStop), f.records ?? '—', f.errors || '—'];
}

it.skipIf(unavailable !== undefined)(`services failover bench${unavailable ? ` (skipped: ${unavailable})` : ''}`, async () => {
  const head = ['trial', 'fault', 'mount', 'VIP on new master', 'client pause', 'client back after VIP', 'NFSv4.0 pause', 'old server stop', 'records at start', 'client errors'];
  const runs: string[][] = [];
  const medians: string[][] = [];
  for (const spec of SPECS) {
    const got: Figures[] = [];
    for (let i = 1; i <= REPEAT; i++) {
      const f = await runTrial(spec);
      got.push(f);
      runs.push(row(f));
      console.log(`${spec.label}, ${spec.fault} #${i}: VIP ${s(f.vip)}, pause ${s(f.pause)}, back ${s(f.afterVip)} after the VIP${f.v40Pause !== undefined ? `, NFSv4.0 pause ${s(f.v40Pause)}` : ''} (${f.errors})`);
    }
    const med = (k: keyof Figures) => summarize(got.map((f) => f[k]).filter((v): v is number => typeof v === 'number'))?.median;
    const after = med('afterVip');
    const verdict = spec.service !== 'nfs' || after === undefined ? '—' : after <= TARGET_AFTER_VIP_MS ? 'met' : `missed by ${s(after - TARGET_AFTER_VIP_MS)}`;
    medians.push([`${spec.label} (n=${got.length})`, spec.fault, s(med('mount')), s(med('vip')), s(med('pause')), s(after), s(med('v40Pause')), s(med('oldStop')), verdict]);
  }
  const table = (h: string[], rows: string[][]) => [h, h.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
  console.log(`\nEvery run:\n${table(head, runs)}`);
  console.log(`\nMedians (target for NFS: the client's first read within 5 s of the VIP):\n${table(['trial', 'fault', 'mount', 'VIP on new master', 'client pause', 'client back after VIP', 'NFSv4.0 pause', 'old server stop', 'NFS target'], medians)}`);
});
