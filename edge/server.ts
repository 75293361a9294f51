import { availableParallelism } from 'node:os';
import { authConfig, usesDevelopmentHashKey } from '../shared/auth/config.ts';
import { loadConfig } from '../shared/config/index.ts';
import { connectionsConfig } from '../shared/config/connections.ts';
import { printConfigIfAsked } from '../shared/config/print.ts';
import { kafkaClientConfig } from '../shared/kafka/settings.ts';
import { createSupervisor } from '../shared/supervisor.ts';
import { statusFileWriter } from '../shared/supervisor-status.ts';
import { Registry } from '../shared/telemetry/metrics.ts';
import { createTracing } from '../shared/telemetry/tracing.ts';
import { tracingConfig } from '../shared/telemetry/tracing-config.ts';
import { openGuard } from './access.ts';
import { createAdminApp, createApp, nativeIngestRoutes } from './app.ts';
import { chooseBind } from './bind.ts';
import { edgeConfig, type EdgeConfig } from './config.ts';
import { createKafkaPublisher } from './kafka-publisher.ts';
import { connectKeyStores, keyGuard } from './keys.ts';
import { createLossRecorder } from './losses.ts';
import { createEdgeMetrics } from './metrics.ts';

/**
 * `bun edge/server.ts`: a supervisor that runs EDGE_PROCESSES copies of the edge (shared/supervisor.ts starts a
 * crashed one again after a backoff), all bound to one port with SO_REUSEPORT so the kernel spreads connections;
 * each copy owns its own producer, key cache and admin port
 * (EDGE_ADMIN_PORT + its index, on 127.0.0.1, so each process's /metrics is scraped on its own rather than from
 * whichever process the kernel picks). Bun runs JS on one thread, so processes (not threads) are how one box uses
 * every core.
 */
printConfigIfAsked({ specs: [edgeConfig, authConfig, connectionsConfig, kafkaClientConfig, tracingConfig] });
const config = loadConfig(edgeConfig);
const auth = loadConfig(authConfig);
const processes = config.processes || availableParallelism();
const conn = loadConfig(connectionsConfig);
const childAt = process.argv.indexOf('--child');
const isChild = childAt >= 0;

const bind = chooseBind({ hostname: config.hostname, authMode: auth.mode, developmentHashKey: usesDevelopmentHashKey(auth) });
if (!bind.ok) {
  console.error(bind.error);
  process.exit(1);
}
if (!isChild) for (const warning of bind.warnings) console.error(warning);

if (isChild || processes === 1) await serve(config, bind.hostname, isChild ? Number(process.argv[childAt + 1] ?? 0) : 0);
else supervise(processes, config);

async function serve(cfg: EdgeConfig, hostname: string, index: number): Promise<void> {
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

function supervise(processes: number, cfg: EdgeConfig): void {
  const registry = new Registry();
  const supervisor = createSupervisor({
    name: 'edge',
    children: Array.from({ length: processes }, (_, i) => ({ name: `edge-${i}`, cmd: [process.execPath, import.meta.path, '--child', String(i)] })),
    // A process drains for up to shutdownGraceMs, then closes its producer and key stores; the margin covers that.
    graceMs: cfg.shutdownGraceMs + 5000,
    registry,
    onChange: cfg.statusFile ? statusFileWriter({ file: cfg.statusFile, supervisor: 'edge', registry }) : undefined,
  });
  supervisor.start();
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void supervisor.stop('SIGTERM').then((code) => process.exit(code));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
