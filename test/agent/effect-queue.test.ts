// The serial effect lane: settled() waits for what was queued before it, not for what comes after.
import { describe, expect, it } from 'vitest';
import { EffectQueue, type QueuedEffect } from '../../src/agent/effect-queue.js';

const vip = (op: 'add' | 'remove', epoch: number): QueuedEffect => ({ kind: 'vip', op, epoch });

// A runner whose effects finish only when the test says so, in order.
function gated() {
  const pending: { e: QueuedEffect; done: (ok: boolean) => void }[] = [];
  const ran: string[] = [];
  const queue = new EffectQueue((e) => new Promise<{ carryOn: boolean }>((done) => pending.push({ e, done: (ok) => (ran.push(`${e.kind}:${'op' in e ? e.op : ''}:${e.kind === 'vip' ? e.epoch : ''}`), done({ carryOn: ok })) })));
  const next = async (ok = true) => {
    await new Promise((r) => setImmediate(r));
    const p = pending.shift();
    if (!p) throw new Error('nothing is running');
    p.done(ok);
    await new Promise((r) => setImmediate(r));
  };
  return { queue, next, ran };
}

describe('EffectQueue.settled', () => {
  it('resolves at once on an empty queue', async () => {
    const { queue } = gated();
    await expect(queue.settled()).resolves.toBeUndefined();
  });

  it('resolves once the effects queued before it ran, while effects queued after them still run', async () => {
    const { queue, next, ran } = gated();
    queue.push([vip('remove', 0)]);
    let settled = false;
    void queue.settled().then(() => (settled = true));
    queue.push([vip('add', 1), vip('remove', 1)]);
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    await next();
    expect(ran).toEqual(['vip:remove:0']);
    expect(settled).toBe(true);
    expect(queue.busy).toBe(true);
  });

  it('counts dropped up work and a clear() as finished', async () => {
    const { queue, next } = gated();
    queue.push([vip('add', 1), { kind: 'garp', epoch: 1 }, vip('add', 1)]);
    let settled = false;
    void queue.settled().then(() => (settled = true));
    await next(false); // a failed add drops the rest of the up work
    expect(settled).toBe(true);

    queue.push([vip('remove', 2), vip('remove', 2)]);
    let cleared = false;
    void queue.settled().then(() => (cleared = true));
    await new Promise((r) => setImmediate(r));
    queue.clear();
    await next();
    expect(cleared).toBe(true);
  });
});
