// Several accepted keys (rotation): trial verification with each, the wire unchanged, counts per key id.
import { describe, expect, it } from 'vitest';
import type { Advert } from '../../src/protocol/advert.js';
import { Verifier, sign } from '../../src/protocol/auth.js';

const vhid = 7;
const vip = '192.168.1.100';
const old = { id: 'old', key: Buffer.from('the old key') };
const next = { id: 'new', key: Buffer.from('the new key') };
const other = Buffer.from('a key nobody accepts');
const at = (seq: bigint, sender = '10.0.0.2'): Advert => ({ type: 'advert', vhid, advskew: 0, advbaseMs: 1000, epoch: 1, seq, sender, vip });

describe('several keys', () => {
  it('a packet signed with any accepted key verifies, and is counted under that key id', () => {
    const v = new Verifier({ keys: [old, next], vhid, vip });
    expect(v.verify(sign(at(1n), old.key)).outcome).toBe('ok');
    expect(v.verify(sign(at(2n), next.key)).outcome).toBe('ok');
    expect(v.verify(sign(at(3n), next.key)).outcome).toBe('ok');
    expect(v.verify(sign(at(4n), other)).outcome).toBe('bad-hmac');
    expect(Object.fromEntries(v.verified())).toEqual({ old: 1, new: 2 });
  });

  it('one key signs the same bytes whatever its id: the wire of a single-key cluster does not change', () => {
    const v = new Verifier({ keys: [{ id: 'anything', key: old.key }], vhid, vip });
    expect(v.verify(sign(at(1n), old.key)).outcome).toBe('ok');
    expect(new Verifier({ key: old.key, vhid, vip }).verify(sign(at(1n), old.key)).outcome).toBe('ok');
  });

  it('new keys apply to the next packet; the replay marks stay across the change', () => {
    const v = new Verifier({ keys: [old], vhid, vip });
    const first = sign(at(10n), old.key);
    expect(v.verify(first).outcome).toBe('ok');
    expect(v.verify(sign(at(11n), next.key)).outcome).toBe('bad-hmac');
    v.setKeys([old, next]);
    expect(v.verify(sign(at(12n), next.key)).outcome).toBe('ok');
    expect(v.verify(first).outcome).toBe('behind'); // below the mark: never 'ok' again
    v.setKeys([next]);
    expect(v.verify(sign(at(13n), old.key)).outcome).toBe('bad-hmac');
    expect(v.mark('10.0.0.2')).toBe(12n);
  });

  it('refuses an empty key list', () => {
    expect(() => new Verifier({ keys: [], vhid, vip })).toThrow(RangeError);
    expect(() => new Verifier({ keys: [old], vhid, vip }).setKeys([])).toThrow(RangeError);
  });
});
