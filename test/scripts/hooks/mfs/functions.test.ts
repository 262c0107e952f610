// Every pack function a MooseFS hook names is defined by the libraries it sources: bash finds a missing one only
// when the line runs (exit 127), mid-promotion. Static, no daemons: each hook's own `. …/lib/*.sh` lines are
// sourced in a bash that runs nothing else, and every mfs_* word of the hook and of those libraries is looked up.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const PACK = join(import.meta.dirname, '../../../../hooks/mfs');
const hooks = ['', 'prepare.d', 'up.d', 'down.d', 'released.d'].flatMap((d) =>
  readdirSync(join(PACK, d)).map((f) => join(d, f)).filter((f) => statSync(join(PACK, f)).isFile() && (statSync(join(PACK, f)).mode & 0o111) !== 0),
);
const words = (text: string) => [...new Set(text.match(/\bmfs_[a-z0-9_]+\b/g) ?? [])];

describe('the MooseFS pack', () => {
  it('has hooks to check', () => expect(hooks.length).toBeGreaterThan(10));

  it.each(hooks)('%s calls only functions its libraries define', (hook) => {
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
