// The default places of a vhid's state file, control socket and run record. They name the interface as
// well as the vhid: a vhid is per network in ucarp and VRRP, so two agents with one vhid on two interfaces
// of a host are legal and must not share files. Versions before this keyed on the vhid alone; those
// "legacy" paths are still found (floatd status, the control commands, cleanup) and a run record left
// there is moved to the new place at start (state/migrate.ts).
import { defaultOf } from './reader.js';

export type PathFlag = 'state-file' | 'control-socket' | 'run-record';

// The defaults of earlier versions, keyed on the vhid alone.
const LEGACY: Record<PathFlag, string> = {
  'state-file': '/run/floatd/vhid-<vhid>.json',
  'control-socket': '/run/floatd/<vhid>.sock',
  'run-record': '/var/lib/floatd/vhid-<vhid>.json',
};

// The option table's default filled in for this interface and vhid.
export function defaultPath(flag: PathFlag, iface: string, vhid: number): string {
  return fill(defaultOf(flag), iface, vhid);
}

// Where an earlier version kept it by default.
export function legacyPath(flag: PathFlag, vhid: number): string {
  return fill(LEGACY[flag], '', vhid);
}

// A flag's value, or its default, with <interface> and <vhid> filled in.
export function fill(template: string, iface: string, vhid: number): string {
  return template.replaceAll('<interface>', iface).replaceAll('<vhid>', String(vhid));
}

// The vhid a default control socket's file name is for ("eth0-10.sock", or the legacy "10.sock"),
// undefined for any other file.
export function socketVhid(name: string): number | undefined {
  const m = /^(?:[A-Za-z0-9_.:@-]{1,15}-)?(\d{1,3})\.sock$/.exec(name);
  const n = Number(m?.[1]);
  return m && n >= 1 && n <= 255 ? n : undefined;
}
