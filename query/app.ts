import { createContext } from './context.ts';
import { serveDashboard } from './dashboard/serve.ts';
import { routeOf } from './metrics.ts';
import { createRest } from './rest/router.ts';
import type { ClientInfo } from './plugins/use-subscription-cap.ts';
import { createGateway, type Gateway, type GatewayOptions } from './yoga.ts';

export interface QueryApp {
  /**
   * One handler for the whole gateway: REST routes, the dashboard (/dashboard), else yoga (/graphql, /healthz, /readyz,
   * 404). The dashboard's files and GraphiQL's page answer without a key (they hold no data; the page asks for one).
   */
  readonly fetch: (request: Request, client?: ClientInfo) => Promise<Response>;
  readonly gateway: Gateway;
  close(): Promise<void>;
}

export function createQueryApp(options: GatewayOptions = {}): QueryApp {
  const gateway = createGateway(options);
  const { stores, config, metrics, dlq, cache, keys, kafka, cors, access } = gateway;
  const rest = createRest({
    context: () => createContext({ stores, config, metrics, dlq, keys, kafka, cache }),
    cors,
    access,
    onUnsupported: () => metrics.refused.inc({ code: 'unsupported_media_type' }),
    log: options.log,
  });

  async function fetch(request: Request, client: ClientInfo = {}): Promise<Response> {
    const url = new URL(request.url);
    if (!url.pathname.startsWith('/graphql')) {
      const started = performance.now();
      const response = (await rest(request, url)) ?? (await serveDashboard(request, url));
      if (response) {
        // yoga's requests are counted by its metrics plugin; these never reach it.
        const route = routeOf(url.pathname);
        metrics.requests.inc({ route, status: String(response.status) });
        metrics.duration.observe({ route }, (performance.now() - started) / 1000);
        return response;
      }
    }
    return gateway.yoga.fetch(request, client);
  }

  return { fetch, gateway, close: gateway.close };
}
