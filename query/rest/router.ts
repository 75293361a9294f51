import { RegExpRouter } from 'hono/router/reg-exp-router';
import type { Access, Refusal } from '../auth/access.ts';
import type { GatewayContext } from '../context.ts';
import { isJson } from '../plugins/use-auth.ts';
import type { Cors } from '../plugins/use-cors.ts';
import { eventsCount } from './analytics.ts';
import { errorResponse, RestError } from './http.ts';
import { KEY_ROUTES } from './keys.ts';
import { PIPELINE_ROUTES } from './pipelines.ts';
import { read, type Methods } from './route.ts';
import { recentReading, sensorData } from './sensors.ts';
import { apiMetrics, apiStats } from './stats.ts';

export type { Handler, Methods, RestCall, Route } from './route.ts';

/** The older services' routes, over the same stores (and the same loaders) as GraphQL; each names its scope. */
const ROUTES: ReadonlyArray<readonly [string, Methods]> = [
  ['/analytics/events/count', { GET: read(({ url, ctx }) => eventsCount(url, ctx)) }],
  ['/data', { GET: read(({ url, ctx }) => sensorData(url, ctx)) }],
  ['/recent/:sensorId', { GET: read(({ ctx, params: [sensorId = ''] }) => recentReading(sensorId, ctx)) }],
  ['/api/stats', { GET: read(({ ctx }) => apiStats(ctx)) }],
  ['/api/metrics', { GET: read(({ ctx }) => apiMetrics(ctx)) }],
  ['/metrics', { GET: read(({ ctx }) => apiMetrics(ctx)) }],
  ...PIPELINE_ROUTES,
  ...KEY_ROUTES,
];

interface Entry {
  readonly methods: Methods;
  /** The path's parameter names in order: handlers take them as a list. */
  readonly names: readonly string[];
}

/**
 * Hono's RegExpRouter (the edge's router): every path joined into one regular expression, matched once per request.
 * Paths are registered for every method so a known path with another method answers 405, not 404.
 */
function routeTable(routes: ReadonlyArray<readonly [string, Methods]>) {
  const router = new RegExpRouter<Entry>();
  for (const [path, methods] of routes) router.add('ALL', path, { methods, names: [...path.matchAll(/:(\w+)/g)].map((m) => m[1]!) });
  return (path: string): { methods: Methods; captures: string[] } | undefined => {
    const [matches, stash] = router.match('ALL', path);
    const found = matches[0];
    if (!found) return undefined;
    const [entry, params] = found;
    const captures = entry.names.map((name) => {
      const at = (params as Record<string, string | number>)[name];
      return String((stash && typeof at === 'number' ? stash[at] : at) ?? '');
    });
    return { methods: entry.methods, captures };
  };
}

export interface RestOptions {
  readonly context: () => GatewayContext;
  readonly cors: Cors;
  readonly access: Access;
  /** Called for every state-changing request refused for not being JSON. */
  readonly onUnsupported?: () => void;
  readonly log?: (...args: unknown[]) => void;
}

function decoded(captures: string[]): string[] {
  try {
    return captures.map((c) => decodeURIComponent(c));
  } catch {
    throw new RestError(400, 'invalid_parameter', 'the path is not valid percent-encoding');
  }
}

const refusalResponse = (r: Refusal): Response =>
  Response.json({ error: { code: r.code, message: r.message, ...(r.scope && { scope: r.scope }) } }, { status: r.status, headers: r.headers });

/**
 * Returns a handler answering the REST routes, or undefined for any other path (which then goes to yoga). Before a
 * handler runs: a state-changing method must send JSON (415 unsupported_media_type: a cross-site form or text/plain
 * POST needs no preflight), and the key must hold the route's scope (auth/access.ts).
 */
export function createRest({ context, cors, access, onUnsupported = () => {}, log = console.error }: RestOptions) {
  const route = routeTable(ROUTES);
  async function answer(request: Request, url: URL, methods: Methods, captures: string[]): Promise<Response> {
    // HEAD is GET without the body, which Bun.serve drops by itself.
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    const chosen = methods[method as keyof Methods];
    if (!chosen) {
      const allowed = Object.keys(methods).join(', ');
      throw new RestError(405, 'method_not_allowed', `${request.method} is not allowed here; use ${allowed}`, { allowed: Object.keys(methods) });
    }
    if (method !== 'GET' && !isJson(request)) {
      onUnsupported();
      throw new RestError(415, 'unsupported_media_type', `${method} needs Content-Type: application/json`, { expected: 'application/json' });
    }
    const identity = await access.identify(request);
    if (!identity.ok) return refusalResponse(identity.refusal);
    const refused = access.authorize(identity.key, [chosen.scope]);
    if (refused) return refusalResponse(refused);
    return chosen.handler({ url, ctx: context(), params: decoded(captures), request });
  }

  return async function rest(request: Request, url = new URL(request.url)): Promise<Response | undefined> {
    const match = route(url.pathname);
    if (!match) return undefined;
    if (request.method === 'OPTIONS') return cors.preflight(request);
    let response: Response;
    try {
      response = await answer(request, url, match.methods, match.captures);
    } catch (error) {
      response = errorResponse(error, log);
    }
    return cors.apply(request, response);
  };
}
