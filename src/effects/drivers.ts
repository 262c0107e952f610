// Which VIP driver and announcer a configuration gets: the kernel channel (--vip-path channel, the
// default) or ip(8) and arping(8) per change (--vip-path spawn), or the recording ones of the demo and
// unprivileged tests (--vip-driver record).
import type { Config } from '../config/config.js';
import type { Logger } from '../log/log.js';
import { openKernelChannel, type KernelChannel } from '../net/kernel-channel.js';
import { channelDrivers } from './channel-drivers.js';
import { linkAnnouncing } from './link-announcing.js';
import { arpingAnnouncer, recordAnnouncer, type Announcer } from './garp.js';
import { ipVipDriver, recordVipDriver, type VipDriver } from './vip.js';

export function driversFor(cfg: Config, log: Logger): { vip: VipDriver; announcer: Announcer; kernel?: KernelChannel } {
  if (cfg.vipDriver === 'record') return { vip: recordVipDriver(cfg.interface, cfg.vips, log), announcer: recordAnnouncer(cfg.interface, cfg.vips, log) };
  // A ucarp-style -u script may add the VIP itself, with its own prefix.
  const o = { iface: cfg.interface, vips: cfg.vips, log, lookFirst: cfg.upscript !== undefined, announcing: linkAnnouncing(cfg.interface, log) };
  if (cfg.vipPath === 'spawn') {
    log.info({ event: 'vip-path', path: 'spawn' }, 'VIP changes and gratuitous ARP through ip(8) and arping(8), one process each (--vip-path spawn)');
    return { vip: ipVipDriver(o), announcer: arpingAnnouncer(cfg.interface, cfg.vips, log, o.announcing) };
  }
  const kernel = openKernelChannel(log);
  return { ...channelDrivers({ ...o, channel: kernel }), kernel };
}
