// Reloading the keys without a restart (SIGHUP): the passfile is read again and, when it is good, its keys
// replace the ones in use at once — every key accepted on receipt, the active one for what this node sends.
// A file that cannot be read or parsed changes nothing: an error line says why and the keys in use stay, so
// a typo during a rotation never leaves a node with no key its peers accept.
import type { Config, SecretSource } from '../config/config.js';
import { exposedWarning, keysOf, readSecret, type Keys } from '../config/secret.js';
import type { Logger } from '../log/log.js';
import type { KeyMetrics } from '../metrics/agent-metrics.js';
import { DEFAULT_KEY_ID, Verifier } from '../protocol/auth.js';
import { vipField } from '../protocol/vip-set.js';

export interface KeyReloadOptions {
  source: SecretSource;
  keys: Keys; // the keys the agent started with
  log: Logger;
  apply(keys: Keys): void;
}

export class KeyReload {
  private readonly o: KeyReloadOptions;
  private keys: Keys;
  private chain: Promise<void> = Promise.resolve();
  readonly reloads = { ok: 0, failed: 0 };

  constructor(o: KeyReloadOptions) {
    this.o = o;
    this.keys = o.keys;
  }

  current(): Keys {
    return this.keys;
  }

  // One reload after another: two quick SIGHUPs read the file twice, in order.
  reload(): Promise<void> {
    this.chain = this.chain.then(() => this.once());
    return this.chain;
  }

  private async once(): Promise<void> {
    const { source: s, log } = this.o;
    if (s.kind === 'pass') {
      log.warn({ event: 'keys', ok: false }, `the key comes from ${s.fromEnv ? 'FLOATD_PASS' : '--pass'}, which cannot be read again: nothing reloaded (a --passfile can be)`);
      return;
    }
    try {
      const secret = await readSecret(s);
      const keys = keysOf(secret);
      this.o.apply(keys);
      this.keys = keys;
      this.reloads.ok += 1;
      const ids = keys.keys.map((k) => k.id);
      log.info({ event: 'keys', ok: true, active: keys.active, accepted: ids }, `keys reloaded from ${s.path}: signing with "${keys.active}", accepting ${ids.map((id) => `"${id}"`).join(', ')}`);
      if (secret.exposed) log.warn({ event: 'secret-mode', passfile: secret.exposed.path, mode: secret.exposed.mode }, exposedWarning(secret.exposed));
    } catch (err) {
      this.reloads.failed += 1;
      const why = err instanceof Error ? err.message : String(err);
      log.error({ event: 'keys', ok: false, err: why }, `keys not reloaded, the keys in use stay (signing with "${this.keys.active}"): ${why}`);
    }
  }
}

// The agent's keys: the Verifier of received adverts (every key accepted), the key its sender signs with
// (the active one), and their reload.
export class AgentKeys {
  readonly verifier: Verifier;
  private readonly reloader: KeyReload;

  // keys: the passfile's (absent: `secret` alone, id "default"); sign: the sender's new key after a reload.
  constructor(cfg: Pick<Config, 'vhid' | 'vips' | 'witness' | 'secret'>, secret: Buffer, keys: Keys | undefined, log: Logger, sign: (key: Buffer) => void) {
    const start = keys ?? { active: DEFAULT_KEY_ID, keys: [{ id: DEFAULT_KEY_ID, key: secret }] };
    // A witness has no VIP: it takes the adverts of every node of the vhid.
    this.verifier = new Verifier({ keys: start.keys, vhid: cfg.vhid, vip: cfg.witness ? undefined : vipField(cfg.vips), vipLabel: cfg.vips.join(' ') });
    this.reloader = new KeyReload({
      source: cfg.secret,
      keys: start,
      log,
      apply: (k) => {
        this.verifier.setKeys(k.keys);
        const active = k.keys.find((e) => e.id === k.active);
        if (active) sign(active.key);
      },
    });
  }

  reload(): Promise<void> {
    return this.reloader.reload();
  }

  metrics(): KeyMetrics {
    const k = this.reloader.current();
    return { active: k.active, ids: k.keys.map((e) => e.id), verified: this.verifier.verified(), reloads: this.reloader.reloads };
  }
}
