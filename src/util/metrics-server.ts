/**
 * The HTTP endpoint of an rmqd process's metrics (its own port, `metricsPort`): GET /metrics in
 * Prometheus text format from a prom-client registry, GET /healthz answering 200 "ok" while the
 * process serves (503 with the reason otherwise). Plain HTTP, read-only, nothing else is served.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from './log.js';

export interface MetricsServerOptions {
  registry: Registry;
  /** undefined while healthy; else why not (the body of a 503). */
  unhealthy?: () => string | undefined;
  logger: Logger;
}

export class MetricsServer {
  private readonly server: http.Server;

  constructor(private readonly opts: MetricsServerOptions) {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    // a scraper keeps its connection open between scrapes; do not hold the process for it
    this.server.keepAliveTimeout = 65_000;
  }

  /** Listens; resolves with the port (useful with port 0). Rejects when the port is taken. */
  listen(port: number, host?: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.server.once('error', onError);
      this.server.listen({ port, host }, () => {
        this.server.off('error', onError);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    try {
      if (url === '/metrics') {
        const body = await this.opts.registry.metrics();
        res.writeHead(200, { 'content-type': this.opts.registry.contentType }).end(req.method === 'HEAD' ? undefined : body);
      } else if (url === '/healthz') {
        const why = this.opts.unhealthy?.();
        res.writeHead(why === undefined ? 200 : 503, { 'content-type': 'text/plain' }).end(why === undefined ? 'ok\n' : `${why}\n`);
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /healthz\n');
      }
    } catch (e) {
      this.opts.logger.warn('metrics request failed', { url, err: e as Error });
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('metrics collection failed\n');
    }
  }
}
