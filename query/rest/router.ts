import type { GatewayContext } from '../context.ts';
import { preflight, withCors } from '../plugins/use-cors.ts';
import { eventsCount } from './analytics.ts';
import { errorResponse, RestError } from './http.ts';
import { PIPELINE_ROUTES } from './pipelines.ts';
import { recentReading, sensorData } from './sensors.ts';
import { apiMetrics, apiStats } from './stats.ts';

/** What a handler gets: the URL, a per-request context, the pattern's captures (decoded) and the request (bodies). */
export interface RestCall {
  readonly url: URL;
  readonly ctx: GatewayContext;
  readonly params: string[];
  readonly request: Request;
}
export type Handler = (call: RestCall) => Promise<Response> | Response;
export type Methods = Partial<Record<'GET' | 'POST' | 'PUT' | 'DELETE', Handler>>;

/** The older services' routes, over the same stores (and the same loaders) as GraphQL. */
const ROUTES: ReadonlyArray<readonly [RegExp, Methods]> = [
  [/^\/analytics\/events\/count$/, { GET: ({ url, ctx }) => eventsCount(url, ctx) }],
  [/^\/data$/, { GET: ({ url, ctx }) => sensorData(url, ctx) }],
  [/^\/recent\/([^/]+)$/, { GET: ({ ctx, params: [sensorId = ''] }) => recentReading(sensorId, ctx) }],
  [/^\/api\/stats$/, { GET: ({ ctx }) => apiStats(ctx) }],
  [/^\/api\/metrics$/, { GET: ({ ctx }) => apiMetrics(ctx) }],
  [/^\/metrics$/, { GET: ({ ctx }) => apiMetrics(ctx) }],
  ...PIPELINE_ROUTES,
];

export interface RestOptions {
  readonly context: () => GatewayContext;
  readonly corsOrigin: string;
  readonly log?: (...args: unknown[]) => void;
}

function decoded(captures: string[]): string[] {
  try {
    return captures.map((c) => decodeURIComponent(c));
  } catch {
    throw new RestError(400, 'invalid_parameter', 'the path is not valid percent-encoding');
  }
}

/** Returns a handler answering the REST routes, or undefined for any other path (which then goes to yoga). */
export function createRest({ context, corsOrigin, log = console.error }: RestOptions) {
  const cors = { origin: corsOrigin };
  return async function rest(request: Request, url = new URL(request.url)): Promise<Response | undefined> {
    for (const [pattern, methods] of ROUTES) {
      const match = pattern.exec(url.pathname);
      if (!match) continue;
      if (request.method === 'OPTIONS') return preflight(cors);
      let response: Response;
      try {
        // HEAD is GET without the body, which Bun.serve drops by itself.
        const handler = methods[(request.method === 'HEAD' ? 'GET' : request.method) as keyof Methods];
        if (!handler) {
          const allowed = Object.keys(methods).join(', ');
          throw new RestError(405, 'method_not_allowed', `${request.method} is not allowed here; use ${allowed}`, { allowed: Object.keys(methods) });
        }
        response = await handler({ url, ctx: context(), params: decoded(match.slice(1)), request });
      } catch (error) {
        response = errorResponse(error, log);
      }
      return withCors(response, cors);
    }
    return undefined;
  };
}
