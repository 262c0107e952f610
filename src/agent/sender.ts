// What goes on the wire: the machine's word for what this node is now (its advskew includes any weight),
// signed, with a sequence number that only rises and, when the cluster view is on, its presence (wire v2).
import type { Config } from '../config/config.js';
import { presenceOf } from '../election/presence.js';
import type { Settings, State } from '../election/machine.js';
import type { Logger } from '../log/log.js';
import { sign } from '../protocol/auth.js';
import { vipField } from '../protocol/vip-set.js';
import type { StateFile } from '../state/state-file.js';

export type SentType = 'advert' | 'resign' | 'presence';

export class AdvertSender {
  private seqNext = 0n;
  private readonly cfg: Config;
  private readonly settings: Settings;
  private secret: Buffer; // the active key (a reload may change it)
  private readonly log: Logger;
  private readonly vipField: string; // what the adverts sign for -a (vip-set.ts)

  constructor(cfg: Config, settings: Settings, secret: Buffer, log: Logger) {
    this.cfg = cfg;
    this.vipField = vipField(cfg.vips);
    this.settings = settings;
    this.secret = secret;
    this.log = log;
  }

  // seq = wall-clock µs at start, +1 per packet: it rises across restarts as long as the clock does;
  // the state file's floor only helps a restart whose clock went back.
  start(previous: StateFile | undefined, wallMs: number): void {
    const wallMicros = BigInt(wallMs) * 1000n;
    const floor = /^\d{1,20}$/.test(String(previous?.seqFloor)) ? BigInt(String(previous?.seqFloor)) : 0n;
    this.seqNext = wallMicros > floor ? wallMicros : floor;
  }

  // Signs with this key from the next packet on (the keys were reloaded).
  setKey(key: Buffer): void {
    this.secret = key;
  }

  // The next sequence number (the state file keeps it as the floor of the next start).
  get seq(): bigint {
    return this.seqNext;
  }

  // Logged once the resign is on its way (the agent sends it at once).
  // unclean: why the stop failed; the resign says so, and the next master probes and fences this node.
  sentResign(epoch: number, unclean: string | undefined): void {
    if (unclean === undefined) this.log.info({ event: 'resign', epoch }, 'resign advert sent: the next node takes over now');
    else this.log.error({ event: 'resign', epoch, unclean }, `resign advert sent after a failed stop (${unclean}): the next node takes over after probing and fencing this one`);
  }

  // The signed packet for `type`, as the node is in `state` at `now`.
  // unclean: a resign after a failed stop (protocol type 4).
  packet(type: SentType, epoch: number, advskew: number, state: State, now: number, unclean = false): Buffer {
    const c = this.cfg;
    const presence = this.settings.cluster === undefined ? undefined : presenceOf(this.settings, state, now);
    const flag = type === 'resign' && unclean ? { unclean: true } : {};
    const packet = sign({ type, vhid: c.vhid, advskew, advbaseMs: c.advbaseMs, epoch, seq: this.seqNext++, sender: c.srcip, vip: this.vipField, ...flag, ...(presence === undefined ? {} : { presence }) }, this.secret);
    return packet;
  }
}
