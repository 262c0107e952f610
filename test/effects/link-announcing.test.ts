// Whether the VIPs on an interface are announced, read from the real sysfs: loopback is this process's one
// interface sure to exist and not Ethernet; a name with no interface counts as announcing (the add reports it).
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { linkAnnouncing } from '../../src/effects/link-announcing.js';

const recorder = () => {
  const lines: { event?: string; announce?: boolean; msg: string }[] = [];
  return { lines, log: pino({ level: 'debug' }, { write: (l: string) => void lines.push(JSON.parse(l) as (typeof lines)[number]) }) };
};

describe('linkAnnouncing', () => {
  it('on a link that takes no announcements says so once, at creation, and answers false every time', () => {
    const { lines, log } = recorder();
    const announcing = linkAnnouncing('lo', log);
    expect(lines.map((l) => [l.event, l.announce, l.msg])).toEqual([['announce', false, 'VIPs on lo are added without gratuitous ARP or neighbour advertisements: link type 772 (loopback) carries no Ethernet frames; traffic reaches them by routing']]);
    expect([announcing(), announcing()]).toEqual([false, false]);
    expect(lines).toHaveLength(1);
  });

  it('an interface that does not exist counts as announcing and logs nothing', () => {
    const { lines, log } = recorder();
    const announcing = linkAnnouncing('vfnone0', log);
    expect(announcing()).toBe(true);
    expect(lines).toEqual([]);
  });
});
