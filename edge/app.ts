import { Hono } from 'hono';
import type { Tracing } from '../shared/telemetry/tracing.ts';
import type { Guard } from './access.ts';
import { preflight } from './cors.ts';
import { EdgeError } from './errors.ts';
import { counted, createIngestHandler, errorResponse, type IngestHandlerOptions } from './handler.ts';
import type { Limits, RouteKind } from './ingest.ts';
import { createEdgeMetrics, type EdgeMetrics } from './metrics.ts';
import type { Publisher } from './publisher.ts';
import { createSdkHandler } from './sdk.ts';
import { SDK_ROUTES } from './sdk-routes.ts';

export interface AppOptions {
  publisher: Publisher;
  limits: Limits;
  metrics?: EdgeMetrics;
  /** Set while shutting down: /readyz fails so load balancers stop sending, requests in flight still finish. */
  draining?: () => boolean;
  /** Who may call the ingestion routes (access.ts `requireKey`); openGuard only with AUTH=off. */
  guard: Guard;
  /** Spans of the ingestion routes (shared/telemetry/tracing.ts); off by default. */
  tracing?: Tracing;
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

/**
 * The public port: the ingestion routes behind the guard (and their CORS preflights), /healthz and /readyz, nothing
 * else; /metrics is on the loopback admin port (createAdminApp).
 */
export function createApp({ publisher, limits, metrics = createEdgeMetrics(), draining = () => false, guard, tracing }: AppOptions) {
  const app = new Hono();
  const handle = guard(createIngestHandler({ publisher, limits, metrics, tracing }));
  for (const [path, kind] of INGEST_ROUTES) {
    app.post(path, function ingestRoute(c) {
      return handle(c.req.raw, path, kind);
    });
    app.options(path, () => counted(metrics, path, preflight()));
  }
  const sdk = createSdkHandler({ publisher, limits, metrics, guard, routes: SDK_ROUTES, tracing });
  for (const [path] of SDK_ROUTES) {
    app.post(path, function sdkRoute(c) {
      return sdk(c.req.raw, path);
    });
    app.options(path, () => counted(metrics, path, preflight()));
  }
  healthRoutes(app, { publisher, metrics, draining });

  app.notFound((c) => counted(metrics, 'unmatched', c.json(new EdgeError(404, 'not_found', `no route for ${c.req.method} ${c.req.path}`).toJSON(), 404)));
  // Errors only come from route handlers, so the matched pattern is the route's own.
  app.onError(function edgeErrorBoundary(err, c) {
    return errorResponse(metrics, c.req.routePath, err);
  });
  return app;
}

/** The admin port (127.0.0.1 only, one per process): /metrics of this process, /healthz and /readyz. */
export function createAdminApp({ publisher, metrics, draining = () => false }: { publisher: Publisher; metrics: EdgeMetrics; draining?: () => boolean }) {
  const app = new Hono();
  healthRoutes(app, { publisher, metrics, draining });
  app.get('/metrics', (c) => {
    metrics.queueDepth.set({}, publisher.queueDepth());
    return counted(metrics, '/metrics', c.text(metrics.registry.render(), 200, { 'Content-Type': 'text/plain; version=0.0.4' }));
  });
  app.notFound((c) => c.json(new EdgeError(404, 'not_found', `no route for ${c.req.method} ${c.req.path}`).toJSON(), 404));
  return app;
}

function healthRoutes(app: Hono, { publisher, metrics, draining }: { publisher: Publisher; metrics: EdgeMetrics; draining: () => boolean }): void {
  const count = (route: string, res: Response) => counted(metrics, route, res);
  app.get('/healthz', (c) => count('/healthz', c.json({ status: 'ok' })));
  app.get('/readyz', (c) => {
    if (draining()) return count('/readyz', c.json({ status: 'draining' }, 503));
    if (!publisher.ready()) return count('/readyz', c.json({ status: 'unavailable', kafka: publisher.lastError() ?? 'not connected' }, 503));
    return count('/readyz', c.json({ status: 'ready', queue_depth: publisher.queueDepth() }));
  });
}

/**
 * The ingestion routes for Bun.serve's own router (server.ts), answered by the same guarded handler as the Hono
 * routes; other methods on these paths fall through to the Hono app (404).
 */
export function nativeIngestRoutes(options: IngestHandlerOptions & { guard: Guard }): Record<string, { POST: (req: Request) => Promise<Response>; OPTIONS: () => Response }> {
  const handle = options.guard(createIngestHandler(options));
  const routes: Record<string, { POST: (req: Request) => Promise<Response>; OPTIONS: () => Response }> = {};
  for (const [path, kind] of INGEST_ROUTES) routes[path] = { POST: (req) => handle(req, path, kind), OPTIONS: () => counted(options.metrics, path, preflight()) };
  const sdk = createSdkHandler({ ...options, routes: SDK_ROUTES });
  for (const [path] of SDK_ROUTES) routes[path] = { POST: (req) => sdk(req, path), OPTIONS: () => counted(options.metrics, path, preflight()) };
  return routes;
}
