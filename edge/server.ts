import { availableParallelism } from 'node:os';
import { loadConfig } from '../shared/config/index.ts';
import { connectionsConfig } from '../shared/config/connections.ts';
import { createApp, nativeIngestRoutes } from './app.ts';
import { edgeConfig, type EdgeConfig } from './config.ts';
import { createKafkaPublisher } from './kafka-publisher.ts';
import { createLossRecorder } from './losses.ts';
import { createEdgeMetrics } from './metrics.ts';

/**
 * `bun edge/server.ts`: a supervisor that runs EDGE_PROCESSES copies of the edge, all bound to one port with
 * SO_REUSEPORT so the kernel spreads connections; each copy owns its own producer. Bun runs JS on one thread, so
 * processes (not threads) are how one box uses every core.
 */
const config = loadConfig(edgeConfig);
const processes = config.processes || availableParallelism();
const conn = loadConfig(connectionsConfig);

if (process.argv.includes('--child') || processes === 1) await serve(config);
else await supervise(processes);

async function serve(cfg: EdgeConfig): Promise<void> {
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
  let draining = false;
  const app = createApp({ publisher, limits: cfg, metrics, draining: () => draining });
  // The ingestion routes go through Bun.serve's own router to the handler the Hono app uses (see edge/handler.ts);
  // everything else, and other methods on those paths, reach the Hono app.
  const routes = nativeIngestRoutes({ publisher, limits: cfg, metrics });
  const server = Bun.serve({ port: cfg.port, hostname: cfg.hostname, reusePort: true, routes, fetch: app.fetch, maxRequestBodySize: cfg.maxBodyBytes + 1024 });
  console.log(`edge ${process.pid}: listening on http://${cfg.hostname}:${server.port}, producing to ${cfg.topic} on ${conn.kafkaBrokers}`);

  const shutdown = async () => {
    if (draining) return;
    draining = true;
    // Stop accepting, let requests in flight finish (their deliveries settle inside them), then drain the producer.
    const deadline = Date.now() + cfg.shutdownGraceMs;
    void server.stop(false);
    while (server.pendingRequests > 0 && Date.now() < deadline) await Bun.sleep(25);
    await publisher.close(Math.max(1000, deadline - Date.now()));
    console.log(`edge ${process.pid}: stopped`);
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

async function supervise(processes: number): Promise<void> {
  const children = Array.from({ length: processes }, () =>
    Bun.spawn([process.execPath, import.meta.path, '--child'], { stdio: ['ignore', 'inherit', 'inherit'], env: process.env }),
  );
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    stopping = true;
    for (const child of children) child.kill(signal);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGTERM'));
  const codes = await Promise.all(children.map((c) => c.exited));
  const failed = codes.some((code) => code !== 0);
  if (!stopping && failed) console.error(`edge: a process exited with ${codes.join(', ')}`);
  process.exit(failed && !stopping ? 1 : 0);
}
