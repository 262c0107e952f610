// Which VIP driver and announcer a configuration gets: real ip(8) and arping(8), or the recording ones of
// the demo and unprivileged tests (--vip-driver record).
import type { Config } from '../config/config.js';
import type { Logger } from '../log/log.js';
import { arpingAnnouncer, recordAnnouncer, type Announcer } from './garp.js';
import { ipVipDriver, recordVipDriver, type VipDriver } from './vip.js';

export function driversFor(cfg: Config, log: Logger): { vip: VipDriver; announcer: Announcer } {
  if (cfg.vipDriver === 'record') return { vip: recordVipDriver(cfg.interface, cfg.vips, log), announcer: recordAnnouncer(cfg.interface, cfg.vips, log) };
  // A ucarp-style -u script may add the VIP itself, with its own prefix.
  return { vip: ipVipDriver({ iface: cfg.interface, vips: cfg.vips, log, lookFirst: cfg.upscript !== undefined }), announcer: arpingAnnouncer(cfg.interface, cfg.vips, log) };
}
