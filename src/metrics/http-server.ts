// The HTTP side of --metrics-listen: GET /metrics and nothing else. Plain node:http, one short answer per
// request; a scrape never touches the election (the text is made from counters and the state as it is).
import { createServer, type Server } from 'node:http';
import type { ListenAddress } from '../config/listen-address.js';

// A failed bind at start: the message names the flag; the agent does not start without its endpoint.
export class MetricsListenError extends Error {
  override name = 'MetricsListenError';
}

export interface Exposition {
  contentType: string;
  text(): Promise<string>;
}

// Binds ADDR:PORT and serves the exposition; resolves once listening.
export async function serveMetrics(at: ListenAddress, expo: Exposition): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { allow: 'GET, HEAD' }).end();
    if (path !== '/metrics') return void res.writeHead(404, { 'content-type': 'text/plain' }).end('floatd serves /metrics only\n');
    expo.text().then(
      (text) => res.writeHead(200, { 'content-type': expo.contentType }).end(req.method === 'HEAD' ? undefined : text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err instanceof Error ? err.message : String(err)}\n`),
    );
  });
  // A scraper that opens a connection and sends nothing must not hold a socket for long.
  server.requestTimeout = 5000;
  server.headersTimeout = 5000;
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'the port is in use (another agent or exporter on it? give each vhid its own port)' : err.code === 'EADDRNOTAVAIL' ? `${at.host} is not an address of this host` : (err.code ?? err.message);
      reject(new MetricsListenError(`cannot listen on --metrics-listen ${hostPort(at)}: ${why}`));
    });
    server.listen({ host: at.host, port: at.port }, resolve);
  });
  server.unref(); // the agent's own life decides when it exits, never an open scrape
  return server;
}

export function hostPort(at: ListenAddress): string {
  return at.host.includes(':') ? `[${at.host}]:${at.port}` : `${at.host}:${at.port}`;
}
