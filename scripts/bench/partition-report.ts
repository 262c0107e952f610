// The partition case as a markdown table and a target verdict; pure functions of its results.
import type { PartitionResult } from './partition.js';
import { QUORUM_VARIANT } from './group.js';
import { ms, summarize, type Summary } from './stats.js';

const label = (r: { impl: string; variant?: string }) => (r.variant ? `${r.impl} ${r.variant}` : r.impl);

function cell(s: Summary | undefined): string {
  return s ? `${ms(s.min)} / **${ms(s.median)}** / ${ms(s.max)}` : '–';
}

const values = (list: readonly PartitionResult[], f: (r: PartitionResult) => number | undefined) => summarize(list.flatMap((r) => (f(r) === undefined ? [] : [f(r) as number])));

// What the cut-off master did: let go during the cut (ms after it began), only at the heal (ms after the
// heal), or never (it kept the VIP and the other side's master stepped down).
function letGo(list: readonly PartitionResult[]): string {
  const during = list.filter((r) => r.letGoMs !== undefined && r.cutMs !== undefined && r.letGoMs < r.cutMs);
  const atHeal = list.filter((r) => r.letGoMs !== undefined && r.cutMs !== undefined && r.letGoMs >= r.cutMs);
  const never = list.length - during.length - atHeal.length;
  const n = list.length;
  const parts: string[] = [];
  if (during.length) parts.push(`during the cut ${during.length}/${n}, after ${cell(values(during, (r) => r.letGoMs))} ms`);
  if (atHeal.length) parts.push(`after the heal ${atHeal.length}/${n}, ${cell(values(atHeal, (r) => (r.letGoMs as number) - (r.cutMs as number)))} ms later`);
  if (never) parts.push(`never ${never}/${n} (kept the VIP)`);
  return parts.join('; ');
}

export function partitionTable(results: readonly PartitionResult[]): string {
  const rows = [
    '| interval | agent | two VIP holders, ms | target | of which after the heal, ms (median) | majority side serves, ms | cut-off master let go | VIP at the end |',
    '|---|---|---|---|---|---|---|---|',
  ];
  const keys = [...new Set(results.map((r) => `${r.advbaseS}|${label(r)}`))];
  for (const key of keys) {
    const all = results.filter((r) => `${r.advbaseS}|${label(r)}` === key);
    const ok = all.filter((r) => r.error === undefined);
    const first = all[0] as PartitionResult;
    const failed = all.length - ok.length;
    const two = values(ok, (r) => r.twoHoldersMs);
    const afterHeal = values(ok, (r) => (r.twoHoldersMs === undefined || r.twoHoldersCutMs === undefined ? undefined : r.twoHoldersMs - r.twoHoldersCutMs));
    const still = ok.filter((r) => r.stillTwoHolders).length;
    const final = [...new Set(ok.map((r) => (r.finalHolder === undefined ? 'none or two' : r.finalHolder === r.master ? 'cut-off master' : 'majority side')))].join(', ');
    const columns = [
      `${first.advbaseS} s`,
      label(first),
      `${cell(two)}${still ? ` (still two at the end ${still}×)` : ''}${failed ? ` (${failed} failed)` : ''}`,
      first.variant === QUORUM_VARIANT ? '0' : '',
      afterHeal ? ms(afterHeal.median) : '–',
      cell(values(ok, (r) => r.majorityServesMs)),
      letGo(ok) || '–',
      final || '–',
    ];
    rows.push(`| ${columns.join(' | ')} |`);
  }
  return rows.join('\n');
}

// How the holders were read, for the heading: the recorder misses no change, so there is no sampling period.
export function samplerNote(results: readonly PartitionResult[]): string {
  const checked = results.filter((r) => r.recorderAgrees !== undefined);
  const agree = checked.filter((r) => r.recorderAgrees).length;
  const cut = summarize(results.flatMap((r) => (r.cutMs === undefined ? [] : [r.cutMs])));
  return [
    `Cut ${cut ? `${ms(cut.min)}–${ms(cut.max)}` : '–'} ms (tc/BPF at the bridge ports, links up), then healed; all agents of a round side by side, each in its own lab.`,
    'VIP holders from the lab\'s netlink address recorder (one `ip monitor all-nsid` socket: every change, in kernel order, so no sampling period and no overlap missed; times as read, a few ms late);',
    `\`ip -4 addr\` in every namespace just before each heal agreed with it in ${agree}/${checked.length}.`,
  ].join(' ');
}

// The issue's target: with a quorum, never two VIP holders through a partition and its heal.
export function partitionVerdict(results: readonly PartitionResult[]): { target: string; measured: string; met: boolean | undefined } {
  const mine = results.filter((r) => r.impl === 'floatd' && r.variant === QUORUM_VARIANT);
  const ok = mine.filter((r) => r.error === undefined);
  const max = Math.max(...ok.map((r) => r.twoHoldersMs ?? Infinity));
  const failed = mine.length - ok.length;
  return {
    target: `partition, the master cut off from the other two for 10 s, then healed: zero time with two VIP holders (floatd ${QUORUM_VARIANT})`,
    measured: mine.length ? `max ${ok.length ? ms(max) : '–'} ms over ${ok.length} rounds${failed ? `, ${failed} failed` : ''}` : 'not measured',
    met: mine.length ? failed === 0 && max === 0 : undefined,
  };
}
