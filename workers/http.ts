import type { Server } from 'bun';
import type { Worker } from './worker.ts';

export interface WorkerHttpOptions {
  readonly worker: Pick<Worker, 'readiness' | 'metrics'>;
  /** 0 picks a free port (see `server.port`). */
  readonly port: number;
  /** Loopback unless asked otherwise (WORKERS_METRICS_HOSTNAME): what /readyz tells is for this machine's operators. */
  readonly hostname?: string;
}

const json = (body: unknown, status = 200) => Response.json(body, { status });

/**
 * /metrics (Prometheus text), /healthz (the process answers) and /readyz (503 naming the sinks being retried and the
 * partitions whose batch they hold, from which offset, since when and why; or while shutting down). Readiness is about the stores, not about having partitions: a member without any is still healthy.
 */
export function serveWorkerHttp({ worker, port, hostname = '127.0.0.1' }: WorkerHttpOptions): Server<undefined> {
  return Bun.serve({
    port,
    hostname,
    fetch(req) {
      const { pathname } = new URL(req.url);
      if (req.method !== 'GET') return json({ error: { code: 'method_not_allowed', message: 'GET only' } }, 405);
      switch (pathname) {
        case '/metrics':
          return new Response(worker.metrics.registry.render(), { headers: { 'Content-Type': 'text/plain; version=0.0.4' } });
        case '/healthz':
          return json({ status: 'ok' });
        case '/readyz': {
          const r = worker.readiness();
          return json({ status: r.status, unready: r.unready, stuck: r.stuck }, r.ready ? 200 : 503);
        }
        default:
          return json({ error: { code: 'not_found', message: `no route for ${pathname}` } }, 404);
      }
    },
  });
}
