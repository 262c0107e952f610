// The election's `link` input: a node takes part only while its interface is up (ucarp follows the
// interface's running state; -S turns that off) and its adverts can be sent. A new index (the interface
// was re-created) makes the advert channel re-open its sockets, with or without -S.
import type { Event } from '../election/machine.js';
import type { Logger } from '../log/log.js';
import type { AdvertChannel } from '../net/advert-channel.js';
import type { LinkListener } from '../net/kernel-channel.js';
import { watchLink, type LinkState } from '../net/link.js';

// The interface state is also read at every election timer (each advert of a master, a backup's
// master-down deadline) and at every link event the kernel channel hears, so this background poll is
// only the safety net for events lost or a channel that is down: once a second without events, and
// only every 10 s while the channel hears them (the kernel's own overrun and a re-opened helper make
// the channel ask for a fresh read, see LinkListener). At -b 1 the 1 s poll was a third of a master's
// idle wake-ups (two advert copies, one poll) and half of a backup's (docs/benchmarks.md).
const LINK_POLL_MS = 1000;
const LINK_SAFETY_POLL_MS = 10_000;

export interface LinkFollowerDeps {
  iface: string;
  ignoreIfState: boolean; // -S
  log: Logger;
  channel: AdvertChannel;
  barred: () => string | undefined; // the election's link bar now
  dispatch: (e: Event) => void;
  // The kernel's link events (RTMGRP_LINK through the kernel channel), when there is one.
  linkEvents?: (listener: LinkListener) => () => void;
  // Whether those events are heard now (the channel's helper is running with its sockets open).
  hearingEvents?: () => boolean;
}

export class LinkFollower {
  private up = true; // the interface's own state; -S keeps it true
  private watch: { check(): void; stop(): void } | undefined;
  private unlisten: () => void = () => undefined;

  private readonly d: LinkFollowerDeps;

  constructor(deps: LinkFollowerDeps) {
    this.d = deps;
  }

  start(): void {
    const every = (): number => (this.d.hearingEvents?.() ? LINK_SAFETY_POLL_MS : LINK_POLL_MS);
    this.watch = watchLink(this.d.iface, every, (s) => this.onState(s), { up: true, ifindex: this.d.channel.openedOn });
    // A cut shorter than the poll is seen too: sysfs is read again at once, whatever the event says (it
    // stays the one source of the state). An event for another interface is ignored.
    this.unlisten = this.d.linkEvents?.((e) => (e === undefined || e.name === this.d.iface) && this.check()) ?? this.unlisten;
  }

  // Reads the interface now: a cut link must be seen before a master's next advert or a backup's
  // promotion (ucarp's IFF_RUNNING check).
  check(): void {
    this.watch?.check();
  }

  stop(): void {
    this.unlisten();
    this.watch?.stop();
  }

  // The channel's own verdict changed (blocked or usable again).
  update(): void {
    const why = this.up ? this.d.channel.blocked : 'interface is down';
    if (why === this.d.barred()) return;
    this.d.dispatch(why === undefined ? { type: 'link', up: true } : { type: 'link', up: false, detail: why });
  }

  private onState(s: LinkState): void {
    if (!this.d.ignoreIfState && s.up !== this.up) {
      this.up = s.up;
      this.d.log.warn({ event: 'link', up: s.up, interface: this.d.iface }, `interface ${this.d.iface} is ${s.up ? 'up again' : 'down'}`);
    }
    this.d.channel.interfaceIs(s.ifindex);
    this.update();
  }
}
