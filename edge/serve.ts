import type { AuthConfig } from '../shared/auth/config.ts';
import type { connectionsConfig } from '../shared/config/connections.ts';
import { loadConfig, type ConfigOf } from '../shared/config/index.ts';
import { createTracing } from '../shared/telemetry/tracing.ts';
import { tracingConfig } from '../shared/telemetry/tracing-config.ts';
import { openGuard } from './access.ts';
import { createAdminApp, createApp, nativeIngestRoutes } from './app.ts';
import type { EdgeConfig } from './config.ts';
import { createKafkaPublisher } from './kafka-publisher.ts';
import { connectKeyStores, keyGuard } from './keys.ts';
import { createLossRecorder } from './losses.ts';
import { createEdgeMetrics } from './metrics.ts';

export interface ServeEdgeOptions {
  config: EdgeConfig;
  auth: AuthConfig;
  conn: ConfigOf<typeof connectionsConfig>;
  hostname: string;
  /** The process's index under the supervisor (0 when it runs alone): its admin port is EDGE_ADMIN_PORT + index. */
  index: number;
}

/**
 * One edge process: its producer, key stores, ingestion server and admin server, until SIGTERM/SIGINT drains it.
 * server.ts imports this only in the processes that serve, so the supervisor does not load the HTTP framework,
 * librdkafka, the key stores' clients and OpenTelemetry just to watch its children.
 */
export async function serveEdge({ config: cfg, auth, conn, hostname, index }: ServeEdgeOptions): Promise<void> {
  const metrics = createEdgeMetrics();
  const publisher = await createKafkaPublisher({
    brokers: conn.kafkaBrokers,
    topic: cfg.topic,
    deliveryTimeoutMs: cfg.deliveryTimeoutMs,
    queueMaxMessages: cfg.queueMaxMessages,
    lingerMs: cfg.lingerMs,
    compression: cfg.compression,
    maxEventBytes: cfg.maxEventBytes,
    onLost: createLossRecorder({ metrics }),
  });
  const stores = auth.mode === 'on' ? await connectKeyStores({ databaseUrl: conn.databaseUrl, redisUrl: conn.redisUrl, auth }) : undefined;
  const guard = stores ? keyGuard({ ...stores, auth, metrics, retryAfterSeconds: cfg.retryAfterSeconds }) : openGuard;
  let draining = false;
  const tracing = createTracing({ config: loadConfig(tracingConfig), serviceName: 'event-lens-edge' });
  const app = createApp({ publisher, limits: cfg, metrics, draining: () => draining, guard, tracing });
  // The ingestion routes go through Bun.serve's own router to the handler the Hono app uses (see edge/handler.ts);
  // everything else, and other methods on those paths, reach the Hono app.
  const routes = nativeIngestRoutes({ publisher, limits: cfg, metrics, guard, tracing });
  const server = Bun.serve({ port: cfg.port, hostname, reusePort: true, routes, fetch: app.fetch, maxRequestBodySize: cfg.maxBodyBytes + 1024 });
  const adminApp = createAdminApp({ publisher, metrics, draining: () => draining });
  const admin = Bun.serve({ port: cfg.adminPort === 0 ? 0 : cfg.adminPort + index, hostname: '127.0.0.1', fetch: adminApp.fetch });
  console.log(
    `edge ${process.pid}: listening on http://${hostname}:${server.port}, producing to ${cfg.topic} on ${conn.kafkaBrokers}; ` +
      `API keys ${auth.mode}; metrics on http://127.0.0.1:${admin.port}/metrics`,
  );

  const shutdown = async () => {
    if (draining) return;
    draining = true;
    // Stop accepting, let requests in flight finish (their deliveries settle inside them), then drain the producer.
    const deadline = Date.now() + cfg.shutdownGraceMs;
    void server.stop(false);
    while (server.pendingRequests > 0 && Date.now() < deadline) await Bun.sleep(25);
    await publisher.close(Math.max(1000, deadline - Date.now()));
    await tracing.shutdown().catch(() => undefined);
    void admin.stop(true);
    await stores?.close();
    console.log(`edge ${process.pid}: stopped`);
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

