// The kernel's address events of every service-lab host (one `ip monitor all-nsid`), stopped by the lab's teardown.
import { spawnSync } from 'node:child_process';
import { AddressMonitor } from '../support/netns.js';
import type { ServiceLab } from './service-lab.js';

export async function watchServiceAddresses(lab: ServiceLab): Promise<AddressMonitor> {
  const ids = () => JSON.parse(spawnSync('ip', ['-j', 'netns', 'list-id'], { encoding: 'utf8' }).stdout || '[]') as { nsid: number; name?: string }[];
  for (const h of lab.hosts) if (!ids().some((e) => e.name === h.ns)) spawnSync('ip', ['netns', 'set', h.ns, 'auto']);
  const names = new Map<number, string>();
  for (const e of ids()) {
    const h = lab.hosts.find((x) => x.ns === e.name);
    if (h) names.set(e.nsid, h.name);
  }
  const monitor = new AddressMonitor();
  lab.onTeardown(() => monitor.stop());
  await monitor.start(names, lab.hosts[0]?.ns ?? '');
  return monitor;
}
