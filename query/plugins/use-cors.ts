import type { Plugin } from 'graphql-yoga';

export interface CorsOptions {
  /** Origins (scheme://host[:port]) whose pages may call the gateway; empty: none, no CORS headers at all. */
  readonly origins: readonly string[];
  /** Called for every preflight refused (query_refused_requests_total). */
  readonly onRefuse?: () => void;
}

export interface Cors {
  /** The answer to an OPTIONS request: 204 with the allow headers for a listed origin, else 403 origin_not_allowed. */
  preflight(request: Request): Response;
  /** Adds Access-Control-Allow-Origin when the request comes from a listed origin; leaves every other answer alone. */
  apply(request: Request, response: Response): Response;
}

const ALLOW_METHODS = 'GET, POST, PUT, DELETE, OPTIONS';
// Fetch standard: a wildcard does not cover Authorization, so every header is named.
const ALLOW_HEADERS = 'content-type, accept, authorization';

/**
 * CORS as an allow-list (QUERY_CORS_ORIGINS). Never `*`: the gateway answers with events and manages pipelines and
 * keys, so only pages the operator names may read its answers. The allowed origin is echoed, with `Vary: Origin` so a
 * shared cache does not hand one origin's answer to another.
 */
export function createCors({ origins, onRefuse = () => {} }: CorsOptions): Cors {
  const allowed = new Set(origins);
  const listed = (request: Request): string | undefined => {
    const origin = request.headers.get('origin');
    return origin !== null && allowed.has(origin) ? origin : undefined;
  };
  return {
    preflight(request) {
      const origin = listed(request);
      if (origin === undefined) {
        onRefuse();
        const message = allowed.size === 0 ? 'this gateway takes no cross-origin requests (QUERY_CORS_ORIGINS is empty)' : 'this origin is not in QUERY_CORS_ORIGINS';
        return Response.json({ error: { code: 'origin_not_allowed', message } }, { status: 403, headers: allowed.size > 0 ? { vary: 'Origin' } : {} });
      }
      return new Response(null, {
        status: 204,
        headers: {
          'access-control-allow-origin': origin,
          'access-control-allow-methods': ALLOW_METHODS,
          'access-control-allow-headers': ALLOW_HEADERS,
          'access-control-max-age': '600',
          vary: 'Origin',
        },
      });
    },
    apply(request, response) {
      if (allowed.size === 0) return response;
      response.headers.append('vary', 'Origin');
      const origin = listed(request);
      if (origin !== undefined) response.headers.set('access-control-allow-origin', origin);
      return response;
    },
  };
}

/** Yoga's own CORS is turned off (yoga.ts) so GraphQL and REST answer preflights the same way, from this module. */
export function useCors(cors: Cors): Plugin {
  return {
    onRequest({ request, endResponse }) {
      if (request.method === 'OPTIONS') endResponse(cors.preflight(request));
    },
    onResponse({ request, response }) {
      cors.apply(request, response);
    },
  };
}
