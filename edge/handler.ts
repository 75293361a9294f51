import { NOOP_SPAN, NOOP_TRACING, type TraceSpan, type Tracing } from '../shared/telemetry/tracing.ts';
import type { Access } from './key-access.ts';
import { CORS_HEADERS } from './cors.ts';
import { EdgeError } from './errors.ts';
import { ingest, type Limits, type RouteKind } from './ingest.ts';
import type { EdgeMetrics } from './metrics.ts';
import type { Publisher } from './publisher.ts';
import { rateLimitHeaders } from './rate-headers.ts';
import { receiptStatus, receiptText } from './receipt.ts';

export interface IngestHandlerOptions {
  publisher: Publisher;
  limits: Limits;
  metrics: EdgeMetrics;
  /** One `ingest` span per request, continuing an incoming W3C traceparent; NOOP_TRACING (the default) reads nothing. */
  tracing?: Tracing;
}

/** What a router calls: the guard in front (access.ts) turns the request's key into an Access. */
export type IngestHandler = (req: Request, route: string, kind: RouteKind) => Promise<Response>;
/** The handler behind the guard, given the Access of a key already checked. */
export type GuardedHandler = (req: Request, route: string, kind: RouteKind, access: Access) => Promise<Response>;

const JSON_HEADERS = { 'Content-Type': 'application/json' } as const;
/** Every answer of an ingestion route, errors included, carries the CORS headers (cors.ts). */
export const INGEST_HEADERS: Readonly<Record<string, string>> = { ...JSON_HEADERS, ...CORS_HEADERS };
/**
 * INGEST_HEADERS as a Headers, built once: new Response with it took ~470 ns against ~1050 ns with the plain object
 * (Bun 1.4.5, microbenchmark). Bun copies a Headers given to new Response (checked on 1.4.5: a header set on one
 * answer shows on neither the shared instance nor the next answer), so answers never share header changes.
 */
const INGEST_HEADERS_ONCE = new Headers(INGEST_HEADERS);

/**
 * The ingestion routes' one handler: reads, validates, publishes and answers with the receipt, or with the error's
 * JSON body. The Hono app routes to it (and `app.request()` tests drive it there); server.ts also registers it with
 * Bun.serve's own router for the ingestion routes, because two edges under the same load side by side used ~2.5-3 µs
 * less CPU per single-event request that way (~9% of the edge's ~30 µs; Hono's per-request Context allocates ~1.5 KB).
 * Errors are answered here rather than by Hono's onError so both routers give the same answer.
 */
export function createIngestHandler({ publisher, limits, metrics, tracing = NOOP_TRACING }: IngestHandlerOptions): GuardedHandler {
  const deps = { publisher, limits, metrics };
  const retryHeaders = { ...INGEST_HEADERS, 'Retry-After': String(limits.retryAfterSeconds) };
  const retryHeadersOnce = new Headers(retryHeaders);
  return async function handleIngest(req, route, kind, access) {
    const span = startIngestSpan(tracing, req);
    try {
      const { receipt, rate } = await ingest(req, kind, span.traceparent === undefined ? deps : { ...deps, traceparent: span.traceparent }, access);
      const status = receiptStatus(receipt);
      // Only keys with a rate have a decision; their successful answers carry the RateLimit-* headers too.
      const headers = rate === undefined ? (status === 503 ? retryHeadersOnce : INGEST_HEADERS_ONCE) : { ...(status === 503 ? retryHeaders : INGEST_HEADERS), ...rateLimitHeaders(rate) };
      if (span !== NOOP_SPAN) endIngestSpan(span, route, status, receipt.accepted);
      return counted(metrics, route, new Response(receiptText(receipt), { status, headers }));
    } catch (err) {
      const res = errorResponse(metrics, route, err, INGEST_HEADERS);
      if (span !== NOOP_SPAN) endIngestSpan(span, route, res.status, 0, err instanceof EdgeError ? err.code : 'internal_error');
      return res;
    }
  };
}

/**
 * The request's `ingest` span, continuing the client's W3C traceparent. Off (the default), nothing of tracing runs
 * per request: not even the header lookup.
 */
export function startIngestSpan(tracing: Tracing, req: Request): TraceSpan {
  return tracing.enabled ? tracing.startSpan('ingest', { parent: req.headers.get('traceparent') ?? undefined }) : NOOP_SPAN;
}

/** The request's span: its route, answer and accepted events (attribute names of OpenTelemetry's HTTP conventions). */
export function endIngestSpan(span: TraceSpan, route: string, status: number, accepted: number, code?: string): void {
  span.setAttribute('http.route', route);
  span.setAttribute('http.response.status_code', status);
  span.setAttribute('event_lens.events.accepted', accepted);
  if (code !== undefined) {
    span.setAttribute('error.type', code);
    if (status >= 500) span.fail(code);
  }
  span.end();
}

/** An EdgeError as its status, headers and `{error: {code, message, ...}}` body; anything else as a masked 500. */
export function errorResponse(metrics: EdgeMetrics, route: string, err: unknown, base: Readonly<Record<string, string>> = JSON_HEADERS): Response {
  if (err instanceof EdgeError) {
    return counted(metrics, route, new Response(JSON.stringify(err.toJSON()), { status: err.status, headers: { ...base, ...err.headers } }));
  }
  console.error('edge: unexpected error', err);
  return counted(metrics, route, new Response(JSON.stringify({ error: { code: 'internal_error', message: 'internal error' } }), { status: 500, headers: base }));
}

/** Every answer counts itself (no middleware: with one handler per route Hono calls it directly, ~2-3 µs cheaper). */
export function counted(metrics: EdgeMetrics, route: string, res: Response): Response {
  metrics.requests.inc({ route, status: String(res.status) });
  return res;
}
