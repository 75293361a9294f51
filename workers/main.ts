import { parseCli, positiveInt } from '../shared/cli.ts';
import { connectionsConfig } from '../shared/config/connections.ts';
import { loadConfig } from '../shared/config/index.ts';
import { printConfigIfAsked } from '../shared/config/print.ts';
import { kafkaClientConfig } from '../shared/kafka/settings.ts';
import { createSupervisor } from '../shared/supervisor.ts';
import { statusFileWriter } from '../shared/supervisor-status.ts';
import { Registry } from '../shared/telemetry/metrics.ts';
import { tracingConfig } from '../shared/telemetry/tracing-config.ts';
import { workersConfig, type WorkersConfig } from './config.ts';
import { pipelinesConfig } from './pipelines/config.ts';
import { elasticsearchConfig } from './sinks/elasticsearch/config.ts';
import { postgresSinkConfig } from './sinks/postgres/config.ts';
import { redisSinkConfig } from './sinks/redis/config.ts';
import { serveWorkerHttp } from './http.ts';
import { createWorker } from './worker.ts';

/**
 * `bun workers/main.ts [--count N]` (or `bun run workers --count N`): N worker processes on this machine, all in the
 * same consumer group; more machines just run more. With N > 1 this process only supervises (shared/supervisor.ts:
 * a worker that exits is started again after a backoff; meanwhile the group moves its partitions to the others):
 * Bun runs JS on one thread, so processes are how one machine uses every core. A single worker runs in this process.
 */
const USAGE = `usage: bun workers/main.ts [--count N] [--print-config]
  --count N        worker processes on this machine (default WORKERS_COUNT)
  --print-config   print every setting the workers read, as JSON, and exit`;
const { values } = parseCli({ usage: USAGE, options: { count: { type: 'string' }, 'print-config': { type: 'boolean' } } });
printConfigIfAsked({ specs: [workersConfig, elasticsearchConfig, postgresSinkConfig, redisSinkConfig, pipelinesConfig, connectionsConfig, kafkaClientConfig, tracingConfig] });
const config = loadConfig(workersConfig);
const count = positiveInt('count', values.count, config.count);

if (count === 1) await runOne(config);
else supervise(count, config);

async function runOne(cfg: WorkersConfig): Promise<void> {
  const log = (line: string) => console.log(`workers[${cfg.index}] ${line}`);
  const worker = createWorker({ config: cfg, log });
  const server = serveWorkerHttp({ worker, port: cfg.metricsPort === 0 ? 0 : cfg.metricsPort + cfg.index, hostname: cfg.metricsHostname });
  log(`pid ${process.pid}: ${cfg.topic} → ${cfg.sinks.join(', ')} as group ${cfg.groupId}; metrics on http://${cfg.metricsHostname}:${server.port}/metrics`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: finishing the batch in flight, committing, leaving the group`);
    void worker.stop().then(
      () => {
        void server.stop(true);
        log('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        console.error(`workers[${cfg.index}] shutdown failed`, error);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  try {
    await worker.done;
  } catch (error) {
    // Nothing past the last committed batch was committed, so exiting loses nothing: the batch is re-delivered.
    console.error(`workers[${cfg.index}] the worker loop failed; exiting`, error);
    await worker.stop().catch(() => undefined);
    process.exit(1);
  }
}

function supervise(n: number, cfg: WorkersConfig): void {
  const registry = new Registry();
  const supervisor = createSupervisor({
    name: 'workers',
    // A restarted worker keeps its index, and so its metrics port.
    children: Array.from({ length: n }, (_, i) => ({ name: `worker-${i}`, cmd: [process.execPath, import.meta.path, '--count', '1'], env: { WORKERS_INDEX: String(i) } })),
    graceMs: cfg.shutdownGraceMs,
    registry,
    onChange: cfg.statusFile ? statusFileWriter({ file: cfg.statusFile, supervisor: 'workers', registry }) : undefined,
  });
  supervisor.start();
  console.log(`workers: supervising ${n} worker processes (${supervisor.status().map((c) => c.pid).join(', ')})`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void supervisor.stop('SIGTERM').then((code) => process.exit(code));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
