#!/usr/bin/env node
// The idle cost of presence and of `floatd witness`, on loopback, without root:
// three floatd nodes (unicast --peer, a VIP driver that only records) settle, then for DURATION_S seconds
// each node's CPU time (/proc/PID/stat) and packets sent (its sequence number, read over the control
// socket) are measured, with the quorum off (silent backups, as ucarp) and on (every node sends presence),
// at -b 1 and -b 0.1. Prints a markdown table. Usage: node scripts/bench/presence-idle.mjs [DURATION_S]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const DURATION_S = Number(process.argv[2] ?? 20);
const SETTLE_MS = 3000;
const HZ = 100; // USER_HZ: /proc/PID/stat counts CPU time in 1/100 s
const IPS = ['127.0.0.1', '127.0.0.2', '127.0.0.3'];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const cpuTicks = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]);
};
const rssKiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
const seqOf = (sock) => BigInt(JSON.parse(execFileSync(process.execPath, [CLI, 'status', '--json', '--control-socket', sock], { encoding: 'utf8' })).seqFloor);

async function run(label, advbase, quorum, witnessLast) {
  const dir = mkdtempSync(join(tmpdir(), 'floatd-idle-'));
  writeFileSync(join(dir, 'key'), 'idle-bench\n', { mode: 0o600 });
  const port = String(20000 + Math.floor(Math.random() * 20000));
  const nodes = IPS.map((ip, i) => {
    const sock = join(dir, `n${i}.sock`);
    const args = ['-i', 'lo', '-s', ip, '-v', '77', '-o', join(dir, 'key'), '-b', String(advbase), '-k', String(i * 10), '--port', port, '--log-format', 'json', '--state-file', join(dir, `n${i}.json`), '--run-record', join(dir, `n${i}.rec.json`), '--control-socket', sock, '--quorum', quorum];
    for (const p of IPS) if (p !== ip) args.push('--peer', `${p}:${port}`);
    const witness = witnessLast && i === IPS.length - 1;
    const argv = witness ? ['witness', ...args] : [...args, '-a', '127.0.0.100', '--vip-driver', 'record'];
    const child = spawn(process.execPath, [CLI, ...argv], { stdio: 'ignore' });
    return { i, witness, sock, child };
  });
  await sleep(SETTLE_MS);
  const before = nodes.map((n) => ({ cpu: cpuTicks(n.child.pid), seq: seqOf(n.sock) }));
  await sleep(DURATION_S * 1000);
  const rows = nodes.map((n, k) => {
    const cpu = (cpuTicks(n.child.pid) - before[k].cpu) / HZ;
    const packets = Number(seqOf(n.sock) - before[k].seq);
    const role = JSON.parse(execFileSync(process.execPath, [CLI, 'status', '--json', '--control-socket', n.sock], { encoding: 'utf8' })).state;
    return `| ${label} | ${n.witness ? 'witness' : role} | ${((100 * cpu) / DURATION_S).toFixed(2)} % | ${(packets / DURATION_S).toFixed(1)} | ${((packets * (IPS.length - 1)) / DURATION_S).toFixed(1)} | ${Math.round(rssKiB(n.child.pid) / 1024)} MiB |`;
  });
  for (const n of nodes) n.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  return rows;
}

const rows = [];
for (const advbase of [1, 0.1]) {
  rows.push(...(await run(`-b ${advbase}, quorum off`, advbase, 'off', false)));
  rows.push(...(await run(`-b ${advbase}, quorum 2 of 3`, advbase, 'auto', false)));
}
rows.push(...(await run('-b 1, 2 candidates + witness', 1, 'auto', true)));
console.log(`Idle for ${DURATION_S} s after ${SETTLE_MS / 1000} s to settle; CPU is user + system time of the node's process.\n`);
console.log('| case | node | CPU | packets/s sent | datagrams/s sent (2 peers) | RSS |');
console.log('|---|---|---:|---:|---:|---:|');
for (const r of rows) console.log(r);
