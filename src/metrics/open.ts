// --metrics-listen: the Prometheus client is loaded only when the flag is given, so an agent without it
// keeps its memory and start-up as they were (docs/operations.md: metrics).
import type { Config } from '../config/config.js';
import type { Logger } from '../log/log.js';
import { NO_METRICS, type AgentMetrics, type MetricsSource } from './agent-metrics.js';
import { hostPort, serveMetrics } from './http-server.js';

// The agent's metrics, served; NO_METRICS without the flag. Rejects with MetricsListenError when it cannot bind.
export async function openMetrics(cfg: Pick<Config, 'metricsListen'>, src: MetricsSource, log: Logger): Promise<AgentMetrics> {
  const at = cfg.metricsListen;
  if (at === undefined) return NO_METRICS;
  const { PrometheusMetrics } = await import('./prometheus.js');
  const metrics = new PrometheusMetrics(src);
  const server = await serveMetrics(at, { contentType: metrics.registry.contentType, text: () => metrics.text() });
  log.info({ event: 'metrics', listen: hostPort(at) }, `Prometheus metrics on http://${hostPort(at)}/metrics`);
  return {
    stepped: (b, a, e, now) => metrics.stepped(b, a, e, now),
    sent: (t) => metrics.sent(t),
    received: (t, behind) => metrics.received(t, behind),
    hookEnded: (p, r) => metrics.hookEnded(p, r),
    vip: (held, now) => metrics.vip(held, now),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await metrics.close();
    },
  };
}
