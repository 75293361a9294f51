import type { GatewayContext } from '../context.ts';
import { preflight, withCors } from '../plugins/use-cors.ts';
import { eventsCount } from './analytics.ts';
import { errorResponse, RestError } from './http.ts';
import { recentReading, sensorData } from './sensors.ts';
import { apiMetrics, apiStats } from './stats.ts';

type Handler = (url: URL, ctx: GatewayContext, params: string[]) => Promise<Response> | Response;

/** The older services' read routes, over the same stores (and the same loaders) as GraphQL. */
const ROUTES: ReadonlyArray<readonly [RegExp, Handler]> = [
  [/^\/analytics\/events\/count$/, (url, ctx) => eventsCount(url, ctx)],
  [/^\/data$/, (url, ctx) => sensorData(url, ctx)],
  [/^\/recent\/([^/]+)$/, (_, ctx, [sensorId = '']) => recentReading(decodeURIComponent(sensorId), ctx)],
  [/^\/api\/stats$/, (_, ctx) => apiStats(ctx)],
  [/^\/api\/metrics$/, (_, ctx) => apiMetrics(ctx)],
  [/^\/metrics$/, (_, ctx) => apiMetrics(ctx)],
];

export interface RestOptions {
  readonly context: () => GatewayContext;
  readonly corsOrigin: string;
  readonly log?: (...args: unknown[]) => void;
}

/** Returns a handler answering the REST routes, or undefined for any other path (which then goes to yoga). */
export function createRest({ context, corsOrigin, log = console.error }: RestOptions) {
  const cors = { origin: corsOrigin };
  return async function rest(request: Request, url = new URL(request.url)): Promise<Response | undefined> {
    for (const [pattern, handler] of ROUTES) {
      const match = pattern.exec(url.pathname);
      if (!match) continue;
      if (request.method === 'OPTIONS') return preflight(cors);
      let response: Response;
      try {
        if (request.method !== 'GET' && request.method !== 'HEAD') throw new RestError(405, 'method_not_allowed', `${request.method} is not allowed here; use GET`);
        response = await handler(url, context(), match.slice(1));
      } catch (error) {
        response = errorResponse(error, log);
      }
      return withCors(response, cors);
    }
    return undefined;
  };
}
