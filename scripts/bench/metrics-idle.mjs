#!/usr/bin/env node
// What --metrics-listen costs an idle agent, on loopback, without root: one floatd master (a VIP driver that
// only records) runs without the flag and with it, alternately, ROUNDS times each; after SETTLE_S seconds its
// VmRSS and Pss (/proc/PID/smaps_rollup, as scripts/bench/steady.ts reads them) and its CPU time over
// IDLE_S seconds are read; with the flag, also after SCRAPES scrapes of /metrics (one a second would be a
// busy Prometheus). Prints a markdown table of the medians. Usage: node scripts/bench/metrics-idle.mjs [ROUNDS]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const ROUNDS = Number(process.argv[2] ?? 3);
const SETTLE_S = 10;
const IDLE_S = 20;
const SCRAPES = 20;
const HZ = 100; // USER_HZ

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const kib = (file, field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(file, 'utf8'))?.[1] ?? NaN);
const cpuTicks = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]);
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function once(metricsPort) {
  const dir = mkdtempSync(join(tmpdir(), 'floatd-metrics-idle-'));
  writeFileSync(join(dir, 'key'), 'idle-bench\n', { mode: 0o600 });
  const port = String(20000 + Math.floor(Math.random() * 20000));
  const args = ['-i', 'lo', '-s', '127.0.0.1', '-v', '78', '-o', join(dir, 'key'), '-a', '127.0.0.100', '--vip-driver', 'record', '--port', port, '--peer', `127.0.0.2:${port}`, '--log-format', 'json', '--state-file', join(dir, 's.json'), '--run-record', join(dir, 'r.json'), '--control-socket', join(dir, 'c.sock')];
  if (metricsPort !== undefined) args.push('--metrics-listen', `127.0.0.1:${metricsPort}`);
  const child = spawn(process.execPath, [CLI, ...args], { stdio: 'ignore' });
  try {
    await sleep(SETTLE_S * 1000);
    const pid = child.pid;
    const cpu0 = cpuTicks(pid);
    await sleep(IDLE_S * 1000);
    const row = { rss: kib(`/proc/${pid}/status`, 'VmRSS'), pss: kib(`/proc/${pid}/smaps_rollup`, 'Pss'), cpu: (100 * (cpuTicks(pid) - cpu0)) / HZ / IDLE_S };
    if (metricsPort !== undefined) {
      for (let i = 0; i < SCRAPES; i++) await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      await sleep(1000);
      row.scrapedRss = kib(`/proc/${pid}/status`, 'VmRSS');
      row.scrapedPss = kib(`/proc/${pid}/smaps_rollup`, 'Pss');
    }
    return row;
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

const off = [];
const on = [];
for (let r = 0; r < ROUNDS; r++) {
  off.push(await once(undefined));
  on.push(await once(30000 + Math.floor(Math.random() * 20000)));
}
const mb = (k) => (k / 1024).toFixed(1);
const col = (rows, f) => median(rows.map(f));
console.log(`Median of ${ROUNDS} runs each; a master on loopback idle ${SETTLE_S} s, then CPU over ${IDLE_S} s; with the flag also after ${SCRAPES} scrapes.\n`);
console.log('| agent | RSS MB | Pss MB | CPU % | RSS / Pss MB after scrapes |');
console.log('|---|---|---|---|---|');
console.log(`| without --metrics-listen | ${mb(col(off, (r) => r.rss))} | ${mb(col(off, (r) => r.pss))} | ${col(off, (r) => r.cpu).toFixed(2)} | – |`);
console.log(`| with --metrics-listen | ${mb(col(on, (r) => r.rss))} | ${mb(col(on, (r) => r.pss))} | ${col(on, (r) => r.cpu).toFixed(2)} | ${mb(col(on, (r) => r.scrapedRss))} / ${mb(col(on, (r) => r.scrapedPss))} |`);
