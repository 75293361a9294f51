import { createQueryApp } from './app.ts';

/**
 * `bun query/server.ts`: one gateway process on QUERY_PORT. On SIGTERM it stops accepting, lets requests in flight
 * (and open subscriptions, which end when the server closes them) finish briefly, then closes its store clients.
 */
let draining = false;
const app = createQueryApp({ draining: () => draining });
const { config } = app.gateway;
const server = Bun.serve({
  port: config.port,
  hostname: config.hostname,
  fetch: app.fetch,
  maxRequestBodySize: config.maxBodyBytes,
  // Subscriptions stream for as long as the client listens; the idle timeout must not cut them.
  idleTimeout: 0,
});
console.log(`query ${process.pid}: listening on http://${config.hostname}:${server.port} (GraphQL at /graphql)`);

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
