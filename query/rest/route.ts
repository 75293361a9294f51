import type { Scope } from '../../shared/auth/keys.ts';
import type { GatewayContext } from '../context.ts';

/** What a handler gets: the URL, a per-request context, the path parameters in order (decoded) and the request. */
export interface RestCall {
  readonly url: URL;
  readonly ctx: GatewayContext;
  readonly params: string[];
  readonly request: Request;
}
export type Handler = (call: RestCall) => Promise<Response> | Response;

/** A handler and the scope a key needs to call it; the router checks the key, the handler never does. */
export interface Route {
  readonly scope: Scope;
  readonly handler: Handler;
}
export type Methods = Partial<Record<'GET' | 'POST' | 'PUT' | 'DELETE', Route>>;

/** Reads events, stats and pipelines. */
export const read = (handler: Handler): Route => ({ scope: 'read', handler });
/** Changes pipelines, lookups or keys, or lists keys. */
export const admin = (handler: Handler): Route => ({ scope: 'admin', handler });
