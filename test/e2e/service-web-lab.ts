// nginx on the service lab with hooks/service: the document root on the shared LUN (mounted by the pack), nginx
// started and stopped as a plain command (PID 1 is not systemd here), ready when it serves the page on 127.0.0.1,
// and a client host fetching the page through the VIP (test/fixtures/service/http-poller.mjs).
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AgentProcess } from '../support/netns.js';
import { PollingClient } from './service-client.js';
import { VIP, type ServiceHost, type ServiceLab } from './service-lab.js';

export const SERVICE_PACK = fileURLToPath(new URL('../../hooks/service/', import.meta.url));
const POLLER = fileURLToPath(new URL('../fixtures/service/http-poller.mjs', import.meta.url));
export const serviceEnv = (h: ServiceHost) => join(h.dir, 'service.env');

// Writes each candidate's nginx.conf and service.env.
export function configureWeb(lab: ServiceLab): void {
  for (const h of lab.hosts.filter((x) => x.loop)) {
    const conf = join(h.dir, 'nginx.conf');
    const t = (n: string) => join(h.dir, n);
    writeFileSync(conf, [
      'worker_processes 1;', `pid ${t('nginx.pid')};`, `error_log ${t('nginx-error.log')};`, 'events { worker_connections 256; }',
      `http { access_log off; client_body_temp_path ${t('body')}; proxy_temp_path ${t('proxy')}; fastcgi_temp_path ${t('fastcgi')}; uwsgi_temp_path ${t('uwsgi')}; scgi_temp_path ${t('scgi')};`,
      `  server { listen 80; root ${lab.lun}/www; location / { } } }`, '',
    ].join('\n'));
    writeFileSync(serviceEnv(h), [
      'SERVICE_MANAGER=command', 'SERVICE_UNITS=nginx', `SERVICE_START_nginx="nginx -c ${conf}"`, `SERVICE_STOP_nginx="nginx -c ${conf} -s quit"`,
      `SERVICE_PIDFILE_nginx=${t('nginx.pid')}`, `SERVICE_MOUNTS=${h.loop ?? ''}:${lab.lun}`, 'SERVICE_READY=http://127.0.0.1/index.html', 'SERVICE_VIP_PORTS=80',
      'SERVICE_START_TIMEOUT=20', 'SERVICE_STOP_TIMEOUT=20', '',
    ].join('\n'));
  }
}

// The page on the LUN (written through H, which mounts and unmounts it); returns its content.
export async function seedPage(lab: ServiceLab, h: ServiceHost): Promise<string> {
  const page = `<html><body>${randomBytes(512).toString('hex')}</body></html>\n`;
  writeFileSync(join(h.dir, 'index.html'), page);
  const r = await lab.shell(h, `mount ${h.loop ?? ''} ${lab.lun} && mkdir -p ${lab.lun}/www && cp ${join(h.dir, 'index.html')} ${lab.lun}/www/ && chmod -R a+rX ${lab.lun}/www && umount ${lab.lun}`);
  if (r.code !== 0) throw new Error(`seeding the page: ${r.out}`);
  return page;
}

// floatd with the service pack on H.
// The LUN has no mmp here: --fence guards it (the lab's stand-in, lab.fenceScript()).
export function startWebFloatd(lab: ServiceLab, h: ServiceHost, advskew: number, advbase = '0.3'): AgentProcess {
  return lab.floatd(h, ['-b', advbase, '-k', String(advskew), '--hooks-dir', SERVICE_PACK, '--takeover-check', join(SERVICE_PACK, 'takeover-check'), '--phase-timeout', 'prepare=60', '--fence', lab.fenceScript()],
    { FLOATD_SERVICE_CONFIG: serviceEnv(h) });
}

// The client host fetching the page through the VIP every intervalMs.
export function startPoller(lab: ServiceLab, intervalMs = 50): PollingClient {
  return new PollingClient(lab, lab.host('cl'), [process.execPath, POLLER, `http://${VIP}/index.html`, String(intervalMs)]);
}
