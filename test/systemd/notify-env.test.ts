// The notify environment and the STATUS= line, pure: no socket, no process.
import { describe, expect, it } from 'vitest';
import { message, notifyTarget, statusLine } from '../../src/systemd/notify-env.js';

describe('notifyTarget (sd_notify(3), sd_watchdog_enabled(3))', () => {
  it('is absent without NOTIFY_SOCKET, even when WATCHDOG_USEC is set', () => {
    expect(notifyTarget({ WATCHDOG_USEC: '1000000' }, 10)).toEqual({});
    expect(notifyTarget({ NOTIFY_SOCKET: '' }, 10)).toEqual({});
  });

  it('takes an absolute path or an @abstract name', () => {
    expect(notifyTarget({ NOTIFY_SOCKET: '/run/systemd/notify' }, 10)).toEqual({ target: { socket: '/run/systemd/notify', pingMs: undefined } });
    expect(notifyTarget({ NOTIFY_SOCKET: '@/org/freedesktop/systemd1/notify/42' }, 10).target?.socket).toBe('@/org/freedesktop/systemd1/notify/42');
  });

  it('refuses anything else, naming the variable and quoting the value', () => {
    expect(notifyTarget({ NOTIFY_SOCKET: 'run/notify' }, 10).error).toBe('NOTIFY_SOCKET must be an absolute path or an @abstract name, got "run/notify"');
    expect(notifyTarget({ NOTIFY_SOCKET: '@' }, 10).error).toMatch(/got "@"/);
    expect(notifyTarget({ NOTIFY_SOCKET: `/${'x'.repeat(107)}` }, 10).error).toMatch(/^NOTIFY_SOCKET is longer than 107 bytes/);
  });

  it('pings at half of WATCHDOG_USEC when WATCHDOG_PID is unset or this process', () => {
    const env = { NOTIFY_SOCKET: '/n', WATCHDOG_USEC: '10000000' };
    expect(notifyTarget(env, 10).target?.pingMs).toBe(5000);
    expect(notifyTarget({ ...env, WATCHDOG_PID: '10' }, 10).target?.pingMs).toBe(5000);
    expect(notifyTarget({ ...env, WATCHDOG_PID: '11' }, 10).target?.pingMs).toBeUndefined();
  });

  it('ignores a WATCHDOG_USEC that is zero or not a number', () => {
    for (const v of ['0', '-5', '1e6', 'ten', '']) expect(notifyTarget({ NOTIFY_SOCKET: '/n', WATCHDOG_USEC: v }, 10).target?.pingMs).toBeUndefined();
  });
});

describe('message', () => {
  it('joins assignments with newlines and keeps a value from starting another one', () => {
    expect(message({ READY: '1', STATUS: 'BACKUP' })).toBe('READY=1\nSTATUS=BACKUP');
    expect(message({ STATUS: 'a\nREADY=1\0b' })).toBe('STATUS=a READY=1 b');
  });
});

describe('statusLine', () => {
  const base = { epoch: 3, serving: false, master: null, reason: 'started', hooksInProgress: [] as string[] };
  it('says the role, the epoch and whether a master serves', () => {
    expect(statusLine({ ...base, state: 'MASTER', serving: true })).toBe('MASTER epoch 3, serving');
    expect(statusLine({ ...base, state: 'MASTER' })).toBe('MASTER epoch 3, up hooks running');
    expect(statusLine({ ...base, state: 'BACKUP', master: '10.0.0.2' })).toBe('BACKUP following 10.0.0.2');
    expect(statusLine({ ...base, state: 'BACKUP', reason: 'interface is down' })).toBe('BACKUP, no master heard (interface is down)');
    expect(statusLine({ ...base, state: 'RELEASING', reason: 'shutdown requested' })).toBe('RELEASING epoch 3: down hooks, then the VIP goes (shutdown requested)');
  });

  it('names running hooks by file and warns about adverts failing HMAC', () => {
    const line = statusLine({ ...base, state: 'MASTER', hooksInProgress: ['/etc/floatd/hooks/up.d/20-start'], authFailures: [{ from: '10.0.0.3', count: 4, since: '', lastAt: '' }] });
    expect(line).toBe('MASTER epoch 3, up hooks running, hooks running: 20-start; adverts from 10.0.0.3 fail HMAC verification');
  });
});
