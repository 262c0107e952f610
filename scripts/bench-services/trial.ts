// One trial of `npm run bench:services`: a fresh service lab (test/e2e/service-lab.ts), floatd with hooks/nfs
// (NFS-Ganesha) or hooks/service (nginx) on two candidates, a client on its own host, one fault, then the figures:
// from the fault to the VIP on the new master (the promotion's end) and the client's pause. Nothing is asserted.
import { performance } from 'node:perf_hooks';
import { waitUntil, type AgentProcess } from '../../test/support/netns.js';
import { becomes, isServing, stopAgents } from '../../test/e2e/mfs-floatd.js';
import { configureGanesha, nfsLines, Reader, records, seedLun, startNfsFloatd, url, writeFiles } from '../../test/e2e/nfs-ganesha-lab.js';
import { PollingClient } from '../../test/e2e/service-client.js';
import { createServiceLab, type ServiceLab } from '../../test/e2e/service-lab.js';
import { watchServiceAddresses } from '../../test/e2e/service-watch.js';
import { configureWeb, seedPage, startPoller, startWebFloatd } from '../../test/e2e/service-web-lab.js';

export type Fault = 'crash' | 'graceful';
export interface TrialSpec {
  label: string;
  service: 'nfs' | 'web';
  fault: Fault;
  v40Clients?: boolean; // NFS: libnfs (NFSv4.0) commands keep running through the fault, beside the NFSv4.1 reader
  guard: 'mmp' | 'fence'; // the LUN's guard: ext4 mmp (a mount after a host death waits the mmp interval out), or --fence
}
export interface Figures {
  label: string;
  fault: Fault;
  mount?: number; // ms the new master's mount step took (the mmp wait after a host death)
  vip?: number; // ms from the fault to the VIP on the new master
  pause?: number; // the client's pause (the NFSv4.1 reader, or the web client)
  afterVip?: number; // ms from the VIP to the client's first good request after the fault
  v40Pause?: number; // the libnfs command loop's pause
  oldStop?: number; // graceful: the old master's server stop, from its hook's log line
  records?: string; // NFS: the client records the new server started with
  errors: string;
}

const GRACE_LINE = /client records: (none|\d+)/;

export async function runTrial(spec: TrialSpec): Promise<Figures> {
  const lab: ServiceLab = createServiceLab('nfb', { mmp: spec.guard === 'mmp' });
  let a1: AgentProcess | undefined;
  let a2: AgentProcess | undefined;
  try {
    const [s1, s2, cl] = [lab.host('s1'), lab.host('s2'), lab.host('cl')];
    const addresses = await watchServiceAddresses(lab);
    let client: PollingClient;
    let v40: PollingClient | undefined;
    if (spec.service === 'nfs') {
      configureGanesha(lab, [`NFS_GUARD=${spec.guard}`]);
      await seedLun(lab, s1);
      const fence = spec.guard === 'fence' ? ['--fence', lab.fenceScript()] : [];
      a1 = startNfsFloatd(lab, s1, 0, fence);
      await a1.waitFor('s1 serving', isServing, { timeoutMs: 30_000 });
      a2 = startNfsFloatd(lab, s2, 50, fence);
      await a2.waitFor('s2 BACKUP', becomes('BACKUP'), { timeoutMs: 30_000 });
      await waitUntil('s2 follows s1', () => lab.followed(s2) === s1.ip, { timeoutMs: 10_000 });
      await writeFiles(lab, ['f.bin']);
      client = new Reader(lab, 'f.bin', 100, `bench-${lab.prefix}`);
      await waitUntil('the reader reads', () => client.lines.some((l) => l.ok), { timeoutMs: 20_000 });
      if (spec.v40Clients) {
        v40 = new PollingClient(lab, cl, ['bash', '-c', `while :; do t=$(date +%s%3N); if nfs-cat '${url('f.bin')}' >/dev/null 2>&1; then echo "{\\"at\\":$t,\\"ok\\":true}"; else echo "{\\"at\\":$t,\\"ok\\":false,\\"err\\":\\"nfs-cat\\"}"; fi; sleep 0.1; done`]);
        await waitUntil('nfs-cat reads', () => v40!.lines.some((l) => l.ok), { timeoutMs: 20_000 });
      } else {
        // Only the reader holds a record (the nfs-cp client expired): the records are true at the fault.
        await waitUntil('the reader\'s record only', async () => (await records(lab, s1)).join() === `::ffff:${cl.ip}-(${`bench-${lab.prefix}`.length}:bench-${lab.prefix})`, { timeoutMs: 30_000, everyMs: 500 });
      }
    } else {
      configureWeb(lab);
      await seedPage(lab, s1);
      a1 = startWebFloatd(lab, s1, 0);
      await a1.waitFor('s1 serving', isServing, { timeoutMs: 30_000 });
      a2 = startWebFloatd(lab, s2, 50);
      await a2.waitFor('s2 BACKUP', becomes('BACKUP'), { timeoutMs: 30_000 });
      await waitUntil('s2 follows s1', () => lab.followed(s2) === s1.ip, { timeoutMs: 10_000 });
      client = startPoller(lab);
    }
    await waitUntil('the client works', () => client.lines.some((l) => l.ok), { timeoutMs: 20_000 });
    await new Promise((res) => setTimeout(res, 1000 + Math.random() * 300));
    const since = a2.mark();
    const fault = Date.now();
    const t = performance.now();
    if (spec.fault === 'crash') {
      lab.kill(s1);
      await lab.powerOff(s1);
    } else a1.kill('SIGTERM');
    await a2.waitFor('s2 serving', isServing, { since, timeoutMs: 90_000 });
    await waitUntil('the client is back', () => client.recovered(fault), { timeoutMs: 60_000 });
    if (v40) await waitUntil('nfs-cat is back', () => v40!.recovered(fault), { timeoutMs: 60_000 });
    const vipAt = addresses.events.find((e) => e.host === 's2' && e.op === 'add' && e.at >= t)?.at;
    const vip = vipAt === undefined ? undefined : vipAt - t;
    const back = client.backAt(fault);
    const stopLine = spec.fault === 'graceful' ? [...(spec.service === 'nfs' ? nfsLines(a1) : a1.lines.map((l) => l.msg))].find((l) => /stop (ganesha\.nfsd|nginx).*: ok \(\d+ ms\)/.test(l)) : undefined;
    const mountLine = (spec.service === 'nfs' ? nfsLines(a2, since) : a2.lines.slice(since).map((l) => l.msg)).find((l) => /mount \/dev\/\S+ at .*: ok \(\d+ ms\)/.test(l));
    return {
      label: spec.label,
      fault: spec.fault,
      mount: mountLine ? Number(/\((\d+) ms\)$/.exec(mountLine)?.[1]) : undefined,
      vip,
      pause: client.pauseAfter(fault) ?? 0,
      afterVip: back !== undefined && vip !== undefined ? back - fault - vip : undefined,
      v40Pause: v40?.pauseAfter(fault),
      oldStop: stopLine ? Number(/\((\d+) ms\)$/.exec(stopLine)?.[1]) : undefined,
      records: spec.service === 'nfs' ? nfsLines(a2, since).map((l) => GRACE_LINE.exec(l)?.[1]).find(Boolean) : undefined,
      errors: [...client.errorsAfter(fault), ...(v40?.errorsAfter(fault) ?? [])].join(', '),
    };
  } finally {
    await stopAgents([a1, a2]);
    const left = lab.teardown();
    if (left.length > 0) console.error(`bench lab ${lab.prefix}: left ${left.join(', ')}`);
  }
}
