// A web server failing over under floatd with hooks/service (Pacemaker's VIP + httpd group, with the document root
// on shared storage): nginx from Debian on two candidates sharing one ext4 LUN guarded by --fence, a client fetching the page
// through the VIP every 50 ms through a host death and a graceful handover. The page is the same before and after,
// and nginx never runs on both candidates at once.
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { waitUntil, type AddressMonitor, type AgentProcess } from '../support/netns.js';
import { agentReport, becomes, isServing, stopAgents, vipAddedOn } from './mfs-floatd.js';
import type { PollingClient } from './service-client.js';
import { createServiceLab, missing, type ServiceHost, type ServiceLab } from './service-lab.js';
import { watchServiceAddresses } from './service-watch.js';
import { configureWeb, seedPage, startPoller, startWebFloatd } from './service-web-lab.js';

const unavailable = missing(['nginx', 'mkfs.ext4', 'xfs_io']);

describe.skipIf(unavailable !== undefined)(`nginx failover with hooks/service${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let lab: ServiceLab;
  let s1: ServiceHost;
  let s2: ServiceHost;
  let a1: AgentProcess | undefined;
  let a2: AgentProcess | undefined;
  let addresses: AddressMonitor;
  let poller: PollingClient;
  let sha = '';
  let both = 0;
  let watch: NodeJS.Timeout | undefined;
  const svcLines = (a: AgentProcess, since = 0) => a.lines.slice(since).filter((l) => typeof l.hook === 'string' && l.msg.startsWith('service ')).map((l) => l.msg).join('\n');

  beforeAll(async () => {
    lab = createServiceLab('nf', { mmp: false });
    s1 = lab.host('s1');
    s2 = lab.host('s2');
    configureWeb(lab);
    addresses = await watchServiceAddresses(lab);
    sha = createHash('sha256').update(await seedPage(lab, s1)).digest('hex');
    // nginx on both candidates at once, sampled every 100 ms.
    watch = setInterval(() => { if (lab.processes(s1, 'nginx').length > 0 && lab.processes(s2, 'nginx').length > 0) both++; }, 100);
    lab.onTeardown(() => clearInterval(watch));
  }, 60_000);
  beforeEach((ctx) => ctx.onTestFailed(() => console.error(agentReport([a1, a2]))));
  afterAll(async () => {
    await stopAgents([a1, a2]);
    expect(lab?.teardown() ?? []).toEqual([]);
  });

  it('the first master mounts the document root, starts nginx, checks the page on 127.0.0.1 and then the port on the VIP', async () => {
    a1 = startWebFloatd(lab, s1, 0);
    await a1.waitFor('s1 serving', isServing, { timeoutMs: 30_000 });
    expect(svcLines(a1)).toMatch(/mount \/dev\/loop\d+ at .*: ok[\s\S]*start nginx \(command\): ok[\s\S]*ready: http:\/\/127\.0\.0\.1\/index\.html: ok[\s\S]*ready on VIP .* \(ports 80\): ok/);
    a2 = startWebFloatd(lab, s2, 50);
    await a2.waitFor('s2 BACKUP', becomes('BACKUP'), { timeoutMs: 30_000 });
    await waitUntil('s2 follows s1', () => lab.followed(s2) === s1.ip, { timeoutMs: 10_000 });
    poller = startPoller(lab);
    await waitUntil('the client gets the page', () => poller.lines.some((l) => l.ok && l.sha === sha), { timeoutMs: 10_000 });
  }, 60_000);

  it('a host death: s2 fences s1, mounts the LUN, starts nginx and takes the VIP; the client gets the same page', async () => {
    const since = a2!.mark();
    const fault = Date.now();
    const t = performance.now();
    lab.kill(s1);
    await lab.powerOff(s1);
    await a2!.waitFor('s2 serving', isServing, { since, timeoutMs: 60_000 });
    expect(vipAddedOn(addresses, t)).toEqual(['s2']);
    expect(a2!.lines.slice(since).some((l) => /fencing 203\.0\.113\.11: the lab host is off/.test(l.msg))).toBe(true);
    await waitUntil('the client gets the page again', () => poller.recovered(fault), { timeoutMs: 20_000 });
    console.log(`web crash: client pause ${poller.pauseAfter(fault) ?? 0} ms (${poller.errorsAfter(fault).join(', ')})`);
    expect(poller.shasAfter(fault)).toEqual([sha]);
  }, 90_000);

  it('a graceful handover back (-z): s2 stops nginx and unmounts before it resigns, s1 serves the same page; nginx never ran on both', async () => {
    lab.reboot(s1);
    a1 = startWebFloatd(lab, s1, 0);
    await a1.waitFor('s1 BACKUP', becomes('BACKUP'), { timeoutMs: 30_000 });
    const since = a1.mark();
    const fault = Date.now();
    a2!.kill('SIGTERM');
    expect((await a2!.exited).code).toBe(0);
    await a1.waitFor('s1 serving', isServing, { since, timeoutMs: 60_000 });
    expect(svcLines(a2!)).toMatch(/stop nginx \(command\): ok[\s\S]*unmount .*: ok/);
    await waitUntil('the client gets the page again', () => poller.recovered(fault), { timeoutMs: 20_000 });
    console.log(`web graceful: client pause ${poller.pauseAfter(fault) ?? 0} ms (${poller.errorsAfter(fault).join(', ')})`);
    expect(poller.shasAfter(fault)).toEqual([sha]);
    expect(both).toBe(0);
  }, 90_000);
});
