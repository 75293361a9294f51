import type { Plugin } from 'graphql-yoga';
import { checkStores, type Stores } from '../stores.ts';

export interface ReadinessOptions {
  readonly stores: Stores;
  readonly timeoutMs: number;
  readonly endpoint?: string;
  /** True while shutting down, so load balancers stop sending before the process goes. */
  readonly draining?: () => boolean;
}

/**
 * GET /readyz: 200 when the search node, Postgres and Redis all answer, else 503 naming the failing stores. A gateway
 * with a store down still answers queries partially; readiness is for routing traffic to gateways that can answer
 * them fully.
 */
export function useReadiness({ stores, timeoutMs, endpoint = '/readyz', draining = () => false }: ReadinessOptions): Plugin {
  return {
    async onRequest({ url, endResponse }) {
      if (url.pathname !== endpoint) return;
      if (draining()) return endResponse(Response.json({ status: 'draining' }, { status: 503 }));
      const checks = await checkStores(stores, timeoutMs);
      const failing = Object.entries(checks).flatMap(([store, check]) => (check === 'ok' ? [] : [store]));
      const status = failing.length === 0 ? 'ready' : 'unavailable';
      endResponse(Response.json({ status, failing, checks }, { status: failing.length === 0 ? 200 : 503 }));
    },
  };
}
