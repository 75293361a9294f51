import { Hono } from 'hono';
import { EdgeError } from './errors.ts';
import { ingest, type Limits, type RouteKind } from './ingest.ts';
import { createEdgeMetrics, type EdgeMetrics } from './metrics.ts';
import type { Publisher } from './publisher.ts';
import { receiptStatus } from './receipt.ts';

export interface AppOptions {
  publisher: Publisher;
  limits: Limits;
  metrics?: EdgeMetrics;
  /** Set while shutting down: /readyz fails so load balancers stop sending, requests in flight still finish. */
  draining?: () => boolean;
}

/** Routes of the older services map onto the same ingestion path with their own body shape. */
export const INGEST_ROUTES: ReadonlyArray<readonly [path: string, kind: RouteKind]> = [
  ['/v1/events', 'event'],
  ['/orders', 'order'],
  ['/api/events', 'api_event'],
  ['/events', 'user_event'],
  ['/api/events/ingest', 'ingest'],
  ['/data', 'sensor'],
];

export function createApp({ publisher, limits, metrics = createEdgeMetrics(), draining = () => false }: AppOptions) {
  const app = new Hono();

  // Each answer counts itself rather than through a middleware: with one handler per route Hono calls it directly,
  // and the middleware's compose chain cost ~2-3 µs of the edge's ~40 µs per single-event request (two edges side by
  // side under load, CPU per request from /proc).
  const counted = (route: string, res: Response) => {
    metrics.requests.inc({ route, status: String(res.status) });
    return res;
  };

  for (const [path, kind] of INGEST_ROUTES) {
    app.post(path, async function ingestRoute(c) {
      const receipt = await ingest(c.req.raw, kind, { publisher, limits, metrics });
      const status = receiptStatus(receipt);
      if (status === 503) c.header('Retry-After', String(limits.retryAfterSeconds));
      return counted(path, c.json(receipt, status));
    });
  }

  app.get('/healthz', (c) => counted('/healthz', c.json({ status: 'ok' })));
  app.get('/readyz', (c) => {
    if (draining()) return counted('/readyz', c.json({ status: 'draining' }, 503));
    if (!publisher.ready()) return counted('/readyz', c.json({ status: 'unavailable', kafka: publisher.lastError() ?? 'not connected' }, 503));
    return counted('/readyz', c.json({ status: 'ready', queue_depth: publisher.queueDepth() }));
  });
  app.get('/metrics', (c) => {
    metrics.queueDepth.set({}, publisher.queueDepth());
    return counted('/metrics', c.text(metrics.registry.render(), 200, { 'Content-Type': 'text/plain; version=0.0.4' }));
  });

  app.notFound((c) => counted('unmatched', c.json(new EdgeError(404, 'not_found', `no route for ${c.req.method} ${c.req.path}`).toJSON(), 404)));
  app.onError(function edgeErrorBoundary(err, c) {
    // Errors only come from route handlers, so the matched pattern is the route's own.
    const route = c.req.routePath;
    if (err instanceof EdgeError) {
      for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
      return counted(route, c.json(err.toJSON(), err.status));
    }
    console.error('edge: unexpected error', err);
    return counted(route, c.json({ error: { code: 'internal_error', message: 'internal error' } }, 500));
  });
  return app;
}
