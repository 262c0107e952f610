// Every pack function a hook names is defined by the libraries it sources: bash finds a missing one only when
// the line runs (exit 127), mid-promotion. Static, no daemons: each hook's own `. …/lib/*.sh` lines are sourced
// in a bash that runs nothing else, and every word with the pack's function prefix (mfs_, nfs_, svc_) in the
// hook and in those libraries is looked up.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const HOOKS = join(import.meta.dirname, '../../../hooks');
const PACKS = [
  { pack: 'mfs', prefix: 'mfs' },
  { pack: 'nfs', prefix: 'nfs' },
  { pack: 'service', prefix: 'svc' },
] as const;
const hooksOf = (pack: string) =>
  ['', 'prepare.d', 'up.d', 'down.d', 'released.d']
    .filter((d) => existsSync(join(HOOKS, pack, d)))
    .flatMap((d) => readdirSync(join(HOOKS, pack, d)).map((f) => join(d, f)))
    .filter((f) => statSync(join(HOOKS, pack, f)).isFile() && (statSync(join(HOOKS, pack, f)).mode & 0o111) !== 0);
const cases = PACKS.flatMap(({ pack, prefix }) => hooksOf(pack).map((hook) => [pack, hook, prefix] as const));

describe('the hook packs', () => {
  it.each(PACKS)('$pack has hooks to check', ({ pack }) => expect(hooksOf(pack).length).toBeGreaterThan(5));

  it.each(cases)('%s: %s calls only functions its libraries define', (pack, hook, prefix) => {
    const PACK = join(HOOKS, pack);
    // Comments left out: they may name other things (Pacemaker's nfs_shared_infodir).
    const code = (text: string) => text.replace(/(^|\s)#.*$/gm, '$1');
    const words = (text: string) => [...new Set(code(text).match(new RegExp(`\\b${prefix}_[a-z0-9_]+\\b`, 'g')) ?? [])];
    const text = readFileSync(join(PACK, hook), 'utf8');
    // The hook's `. "…/lib/NAME.sh"` lines, whatever way it finds its own folder.
    const libs = [...text.matchAll(/(?:^|;)\s*\.\s+[^\n]*?\blib\/([a-z-]+\.sh)"/gm)].map((m) => join(PACK, 'lib', m[1]!));
    const used = words([text, ...libs.map((l) => readFileSync(l, 'utf8'))].join('\n'));
    const script = `${libs.map((l) => `. '${l}'`).join('\n')}\nfor f in ${used.join(' ')}; do declare -F "$f" >/dev/null || echo "$f"; done`;
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').filter(Boolean), `${hook} names functions nobody defines`).toEqual([]);
  });
});
