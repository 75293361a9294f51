import type { AuthCase } from './auth-cases.ts';

/** One generated request: where it goes and its exact bytes. `kind` names the generator, for failure reports. */
export interface FuzzRequest {
  readonly target: 'edge' | 'gateway';
  readonly method: 'GET' | 'POST' | 'PUT';
  /** Path and query string. */
  readonly path: string;
  /** Method and route pattern, the table's first column. */
  readonly route: string;
  readonly headers: Record<string, string>;
  readonly body?: Uint8Array;
  /** Sent as a stream without Content-Length (chunked), so the server must count while it reads. */
  readonly chunked?: boolean;
  /** Hostile credentials this request stands for (fuzz/auth.ts); absent: it carries the run's own key. */
  readonly auth?: AuthCase;
  readonly kind: string;
}

/** The edge's limits the generators aim at and just past (edge/config.ts). */
export interface EdgeLimits {
  readonly maxEventsPerRequest: number;
  readonly maxEventBytes: number;
  readonly maxBodyBytes: number;
}

export const ROUTES = ['/v1/events', '/orders', '/api/events', '/events', '/api/events/ingest', '/data'] as const;
export type Route = (typeof ROUTES)[number];

export const JSON_TYPE = { 'content-type': 'application/json' } as const;
export const NDJSON_TYPE = { 'content-type': 'application/x-ndjson' } as const;
const enc = new TextEncoder();
export const utf8 = (s: string): Uint8Array => enc.encode(s);

export function post(route: Route, body: string | Uint8Array, kind: string, headers: Record<string, string> = JSON_TYPE, query = ''): FuzzRequest {
  return { target: 'edge', method: 'POST', path: route + query, route: `POST ${route}`, headers, body: typeof body === 'string' ? enc.encode(body) : body, kind };
}

/** A body for `route` holding `items` (the ingest route needs its `{events: [...]}` wrapper). */
export function batchText(route: Route, items: readonly string[], wrap = false): string {
  return route === '/api/events/ingest' || wrap ? `{"events":[${items.join(',')}]}` : `[${items.join(',')}]`;
}
