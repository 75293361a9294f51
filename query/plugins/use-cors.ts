import type { Plugin } from 'graphql-yoga';

export interface CorsOptions {
  /** One origin or `*`. */
  readonly origin: string;
}

const ALLOW_METHODS = 'GET, POST, PUT, DELETE, OPTIONS';
const ALLOW_HEADERS = 'content-type, accept, authorization';

/** Headers every answer gets; REST answers too (rest/router.ts), so the dashboard can call both from a browser. */
export function corsHeaders({ origin }: CorsOptions): Record<string, string> {
  return {
    'access-control-allow-origin': origin,
    ...(origin !== '*' && { vary: 'Origin' }),
  };
}

export function preflight(options: CorsOptions): Response {
  return new Response(null, {
    status: 204,
    headers: { ...corsHeaders(options), 'access-control-allow-methods': ALLOW_METHODS, 'access-control-allow-headers': ALLOW_HEADERS, 'access-control-max-age': '600' },
  });
}

export function withCors(response: Response, options: CorsOptions): Response {
  for (const [name, value] of Object.entries(corsHeaders(options))) response.headers.set(name, value);
  return response;
}

/** Yoga's own CORS is turned off (yoga.ts) so GraphQL and REST answer preflights the same way, from this module. */
export function useCors(options: CorsOptions): Plugin {
  return {
    onRequest({ request, endResponse }) {
      if (request.method === 'OPTIONS') endResponse(preflight(options));
    },
    onResponse({ response }) {
      withCors(response, options);
    },
  };
}
