import type { Server } from 'bun';
import { authConfig, usesDevelopmentHashKey } from '../shared/auth/config.ts';
import { connectionsConfig } from '../shared/config/connections.ts';
import { loadConfig } from '../shared/config/index.ts';
import { printConfigIfAsked } from '../shared/config/print.ts';
import { kafkaClientConfig } from '../shared/kafka/settings.ts';
import { createQueryApp, type QueryApp } from './app.ts';
import { withBodyLimit } from './body-limit.ts';
import { chooseBind } from './bind.ts';
import { queryConfig } from './config.ts';

export interface QueryServerOptions {
  readonly app: QueryApp;
  /** 0 for any free port. */
  readonly port?: number;
  readonly hostname?: string;
}

const BACKSTOP_FACTOR = 8;

/** A subscription (or any operation) asked for as Server-Sent Events: it streams for as long as the client listens. */
const isEventStream = (request: Request): boolean => request.headers.get('accept')?.includes('text/event-stream') ?? false;

/**
 * Serves the gateway over HTTP. Idle connections are closed after QUERY_IDLE_TIMEOUT_SECONDS; only event streams opt
 * out, per request, since a subscription can tick less often than that (and yoga pings every 12 s). Each request's
 * peer address goes to the gateway as the client for the per-client subscription cap when a request has no key.
 * Throws, listening nowhere, when AUTH=off is asked to listen on a public address (bind.ts). A body over
 * QUERY_MAX_BODY_BYTES is refused before anything reads it: 413 body_too_large (body-limit.ts).
 */
export function serveQuery({ app, port = app.gateway.config.port, hostname = app.gateway.config.hostname }: QueryServerOptions): Server<undefined> {
  const { config, auth } = app.gateway;
  const bind = chooseBind({ hostname, authMode: auth.mode, developmentHashKey: usesDevelopmentHashKey(auth) });
  if (!bind.ok) throw new Error(bind.error);
  const limited = withBodyLimit({ maxBytes: config.maxBodyBytes, fetch: app.fetch });
  return Bun.serve({
    port,
    hostname: bind.hostname,
    // Bun answers a body over its own limit with an empty 413 before any of this runs; kept as a backstop, far enough
    // above QUERY_MAX_BODY_BYTES that an oversized request gets the 413 with a code.
    maxRequestBodySize: config.maxBodyBytes * BACKSTOP_FACTOR,
    idleTimeout: config.idleTimeoutSeconds,
    fetch: function serveRequest(request, server) {
      if (isEventStream(request)) server.timeout(request, 0);
      return limited(request, { clientAddress: server.requestIP(request)?.address });
    },
  });
}

/**
 * `bun query/server.ts`: one gateway process on QUERY_PORT. On SIGTERM it stops accepting, lets requests in flight
 * (and open subscriptions, which end when the server closes them) finish briefly, then closes its store clients.
 */
if (import.meta.main) {
  printConfigIfAsked({ specs: [queryConfig, authConfig, connectionsConfig, kafkaClientConfig] });
  let draining = false;
  // Checked before any store client or reader starts, so a refused start leaves nothing behind.
  const auth = loadConfig(authConfig);
  const bind = chooseBind({ hostname: loadConfig(queryConfig).hostname, authMode: auth.mode, developmentHashKey: usesDevelopmentHashKey(auth) });
  if (!bind.ok) {
    console.error(`error: ${bind.error}`);
    process.exit(1);
  }
  for (const warning of bind.warnings) console.error(warning);
  const app = createQueryApp({ draining: () => draining });
  const server = serveQuery({ app });
  console.log(`query ${process.pid}: listening on http://${app.gateway.config.hostname}:${server.port} (GraphQL at /graphql)`);

  async function shutdown(): Promise<void> {
    if (draining) return;
    draining = true;
    const deadline = Date.now() + 10_000;
    void server.stop(false);
    while (server.pendingRequests > 0 && Date.now() < deadline) await Bun.sleep(25);
    await server.stop(true);
    await app.close();
    console.log(`query ${process.pid}: stopped`);
    process.exit(0);
  }
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}
