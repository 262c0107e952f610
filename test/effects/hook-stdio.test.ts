// A hook's output channels: the spare pair opened ahead of need carries a hook's output like a fresh one,
// and an idle spare never keeps the process alive.
import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { openHookStdio, prepareHookStdio, type StdioHandlers } from '../../src/effects/hook-stdio.js';

// Runs `sh -c script` on a pair from openHookStdio and gives back what it wrote to each stream.
async function run(script: string): Promise<{ stdout: string; stderr: string }> {
  const got = { stdout: '', stderr: '' };
  const on: StdioHandlers = { chunk: (s, d) => void (got[s] += Buffer.from(d).toString()), end: () => undefined, error: () => undefined };
  const io = await openHookStdio(on);
  const child = spawn('sh', ['-c', script], { stdio: ['ignore', io.childEnds[0], io.childEnds[1]] });
  await new Promise((r) => child.once('spawn', r));
  for (const end of io.childEnds) end.destroy();
  await io.closed;
  return got;
}

describe('hook stdio', () => {
  it('hook after hook, each gets its own output (the second on the spare the first left behind)', async () => {
    prepareHookStdio();
    expect(await run('echo one; echo err1 >&2')).toEqual({ stdout: 'one\n', stderr: 'err1\n' });
    expect(await run('echo two')).toEqual({ stdout: 'two\n', stderr: '' });
    expect(await run('echo three >&2')).toEqual({ stdout: '', stderr: 'three\n' });
  });

  it('a process with an idle spare pair exits on its own', () => {
    const url = new URL('../../dist/effects/hook-stdio.js', import.meta.url).href;
    const code = `const m = await import(${JSON.stringify(url)}); m.prepareHookStdio(); await new Promise((r) => setTimeout(r, 200)); console.log('idle');`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 10_000 });
    expect(r.error).toBeUndefined();
    expect([r.status, r.stdout.trim()]).toEqual([0, 'idle']);
  });
});
