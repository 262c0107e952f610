// docs/grafana-dashboard.json: valid JSON whose every query names only metrics an agent exports, so the
// dashboard cannot drift from src/metrics/ unnoticed.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { initialState } from '../../src/election/machine.js';
import { PrometheusMetrics } from '../../src/metrics/prometheus.js';
import { settings } from '../election/helpers.js';

const dashboard = JSON.parse(readFileSync(new URL('../../docs/grafana-dashboard.json', import.meta.url), 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };

describe('the Grafana dashboard', () => {
  it('queries only metrics the agent exports', async () => {
    const cluster = { incarnation: 1, voters: 3, quorum: 2, witness: false, freshness: true };
    const keys = () => ({ active: 'a', ids: ['a'], verified: new Map(), reloads: { ok: 0, failed: 0 } });
    const m = new PrometheusMetrics({ settings: settings({ cluster }), state: () => initialState(0), now: () => 0, vipHeld: () => false, drops: () => new Map(), keys });
    const text = await m.text();
    const exported = new Set([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]) => (type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name!])));
    const used = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => [...t.expr.matchAll(/\bfloatd_[a-z_]+/g)].map(([name]) => name)));
    expect(used.length).toBeGreaterThan(10);
    expect(used.filter((name) => !exported.has(name))).toEqual([]);
  });
});
