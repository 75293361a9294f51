import { availableParallelism } from 'node:os';
import { authConfig, usesDevelopmentHashKey } from '../shared/auth/config.ts';
import { loadConfig } from '../shared/config/index.ts';
import { connectionsConfig } from '../shared/config/connections.ts';
import { printConfigIfAsked } from '../shared/config/print.ts';
import { kafkaClientConfig } from '../shared/kafka/settings.ts';
import { createSupervisor } from '../shared/supervisor.ts';
import { statusFileWriter } from '../shared/supervisor-status.ts';
import { Registry } from '../shared/telemetry/metrics.ts';
import { tracingConfig } from '../shared/telemetry/tracing-config.ts';
import { chooseBind } from './bind.ts';
import { edgeConfig, type EdgeConfig } from './config.ts';

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

if (isChild || processes === 1) {
  // Imported here, not at the top: the supervisor then loads none of what serving needs (the HTTP framework,
  // librdkafka, the key stores' clients, OpenTelemetry), which kept its RSS at ~56 MB where ~33 MB will do.
  const { serveEdge } = await import('./serve.ts');
  await serveEdge({ config, auth, conn, hostname: bind.hostname, index: isChild ? Number(process.argv[childAt + 1] ?? 0) : 0 });
} else supervise(processes, config);

function supervise(processes: number, cfg: EdgeConfig): void {
  const registry = new Registry();
  const env = heapEnv(cfg);
  const supervisor = createSupervisor({
    name: 'edge',
    children: Array.from({ length: processes }, (_, i) => ({ name: `edge-${i}`, cmd: [process.execPath, import.meta.path, '--child', String(i)], env })),
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

/** The engine reads its options when a process starts, so the supervisor sets them in its children's environment. */
function heapEnv(cfg: EdgeConfig): Record<string, string> {
  if (cfg.heapRamMb === 0 || process.env.BUN_JSC_forceRAMSize) return {};
  return { BUN_JSC_forceRAMSize: String(cfg.heapRamMb * 1024 * 1024) };
}
