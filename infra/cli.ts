import { join } from 'node:path';
import postgres from 'postgres';
import { authConfig, type AuthConfig } from '../shared/auth/config.ts';
import { connectionsConfig } from '../shared/config/connections.ts';
import { ConfigError, loadConfig } from '../shared/config/index.ts';
import { createStack, down, tail, up, wipe, type Stack } from './stack.ts';
import { runTests } from './test-runner.ts';
import { startDemoTraffic } from './demo.ts';
import { ensureDevKeys } from './dev-keys.ts';
import { startApps, stopApps } from './platform.ts';
import { statusCommand } from './status.ts';
import { runEntry } from './run-entry.ts';
import { parseCli } from '../shared/cli.ts';
import { componentOf, numberOf, serviceConfig, stringOf } from './service-config.ts';
import { hostForUrl, startBanner } from './start-banner.ts';

const USAGE = `usage:
  npm start                      start the stack (and the platform), print where to look
  npm test [-- <bun test args>]  start the stack if needed, run every test, stop what it started
  npm run stack -- up|down|status|wipe|logs <name> [lines]
  npm run status [-- --json]     processes, Kafka brokers, partitions and lag, stores; exit 0 when all is healthy
  npm run fuzz -- [--requests N --seed N ...]  hostile requests against a running platform (--help)
  node infra/bootstrap.mjs run <entry.ts> [args]  run a program with Bun once the servers it needs are up
  npm run typecheck              tsc over the workspace`;

const t0 = performance.now();
const log = (line: string) => console.log(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${line}`);

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const stack = createStack(process.env, log);
  switch (cmd) {
    case 'start':
      return start(stack, rest);
    case 'test':
      return runTests(stack, rest, log);
    case 'stack':
      return stackCommand(stack, rest);
    case 'status':
      return statusCommand(stack, rest);
    case 'fuzz':
      return runFuzz(stack, rest);
    case 'run':
      return runEntry(stack, rest);
    case 'typecheck':
      return Bun.spawn([join(stack.ctx.root, 'node_modules', '.bin', 'tsc'), '--noEmit', '-p', '.', ...rest], { cwd: stack.ctx.root, stdio: ['inherit', 'inherit', 'inherit'] }).exited;
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
    default:
      console.error(USAGE);
      return cmd ? 2 : 0;
  }
}

async function start(stack: Stack, args: string[]): Promise<number> {
  const { values } = parseCli({ usage: 'usage: npm start [-- --no-demo]\n  --no-demo   start without the demo traffic', options: { 'no-demo': { type: 'boolean' } }, args });
  await up(stack);
  // With a local cluster (STACK_KAFKA_BROKERS=3) the services get every node's address, not only the first.
  const kafkaEnv = { KAFKA_BROKERS: stack.kafkaBrokers };
  const conn = loadConfig(connectionsConfig, { ...process.env, ...kafkaEnv });
  const auth = loadConfig(authConfig);
  // A development command on this machine: the edge stays on loopback (so the public development AUTH_HASH_KEY is
  // not exposed) unless the user asks for an interface.
  const edgeHostname = process.env.EDGE_HOSTNAME ?? '127.0.0.1';
  const edge = componentOf(serviceConfig('edge', { ...process.env, ...kafkaEnv, EDGE_HOSTNAME: edgeHostname }), 'edge');
  const workers = componentOf(serviceConfig('workers', { ...process.env, ...kafkaEnv }), 'workers');
  const query = componentOf(serviceConfig('query', { ...process.env, ...kafkaEnv }), 'query');
  const edgeAdminPort = numberOf(edge, 'adminPort');
  const queryUrl = `http://${hostForUrl(stringOf(query, 'hostname'))}:${numberOf(query, 'port')}`;
  const edgeUrl = `http://${hostForUrl(edgeHostname)}:${numberOf(edge, 'port')}`;
  const workersUrl = `http://${hostForUrl(stringOf(workers, 'metricsHostname'))}:${numberOf(workers, 'metricsPort')}`;
  const keysFile = join(stack.ctx.home, 'dev-keys.json');
  const keys = auth.mode === 'on' ? { ...(await devKeys(conn.databaseUrl, auth, keysFile)), file: keysFile } : null;
  const apps = await startApps(stack.ctx.root, stack.ctx.home, [
    { name: 'edge', entry: 'edge/server.ts', readyUrl: `${edgeUrl}/readyz`, env: { ...kafkaEnv, EDGE_HOSTNAME: edgeHostname } },
    { name: 'workers', entry: 'workers/main.ts', readyUrl: `${workersUrl}/healthz`, env: kafkaEnv },
    { name: 'query', entry: 'query/server.ts', readyUrl: `${queryUrl}/healthz`, env: kafkaEnv },
  ], log);
  const demoEnv = { DEMO_EDGE_URL: edgeUrl, ...(keys && { DEMO_API_KEY: keys.ingest }), ...process.env };
  const stopDemo = values['no-demo'] ? undefined : startDemoTraffic({ env: demoEnv, log });
  console.log(startBanner({
    edgeUrl,
    edgeHostname,
    queryUrl,
    edgeAdminUrl: edgeAdminPort === 0 ? undefined : `http://127.0.0.1:${edgeAdminPort}`,
    workersMetricsUrl: workersUrl,
    keys,
    stores: { kafka: conn.kafkaBrokers, topic: stringOf(edge, 'topic'), elasticsearch: conn.elasticsearchUrl, postgres: conn.databaseUrl, redis: conn.redisUrl },
    logs: join(stack.ctx.home, 'logs'),
    demo: stopDemo !== undefined,
  }));
  const { promise, resolve } = Promise.withResolvers<void>();
  process.once('SIGINT', () => resolve());
  process.once('SIGTERM', () => resolve());
  // An app that exits is started again by its supervisor (infra/platform.ts); only a signal ends the run.
  await promise;
  const demo = stopDemo?.();
  if (demo) log(`demo: ${demo.sent} events accepted in total`);
  const code = await stopApps(apps);
  log(code === 0 ? 'stopped edge, workers and query' : 'stopped edge, workers and query; one failed or had to be killed (see its log)');
  return code;
}

/** The development keys, made on the first run and the same on every later one (dev-keys.ts). */
async function devKeys(databaseUrl: string, config: AuthConfig, file: string) {
  const sql = postgres(databaseUrl, { max: 1, connect_timeout: 10, onnotice: () => {} });
  try {
    const keys = await ensureDevKeys({ sql, config, file });
    if (keys.created.length > 0) log(`keys: made development ${keys.created.join(' and ')} key${keys.created.length > 1 ? 's' : ''} (secrets in ${file})`);
    return keys;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** `npm run fuzz`: fuzz/run.ts as its own process, so its exit code is the command's. */
async function runFuzz(stack: Stack, args: string[]): Promise<number> {
  const proc = Bun.spawn([process.execPath, 'fuzz/run.ts', ...args], { cwd: stack.ctx.root, stdio: ['inherit', 'inherit', 'inherit'] });
  process.once('SIGINT', () => proc.kill('SIGINT'));
  return proc.exited;
}

async function stackCommand(stack: Stack, [sub, ...args]: string[]): Promise<number> {
  switch (sub) {
    case 'up':
      await up(stack, args.length ? args : undefined);
      return 0;
    case 'down':
      await down(stack, args.length ? args : undefined);
      log('stack is down');
      return 0;
    case 'status':
      return statusCommand(stack, args);
    case 'logs': {
      const [name, lines] = args;
      if (!name) throw new Error(`which log? one of: ${stack.services.map((s) => s.name).join(', ')}`);
      console.log(tail(stack.ctx.home, name, Number(lines ?? 50)));
      return 0;
    }
    case 'wipe':
      await wipe(stack);
      log(`wiped data and logs under ${stack.ctx.home}`);
      return 0;
    default:
      console.error(USAGE);
      return 2;
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  // Expected failures (bad config, a server that will not start) print their reason and the fix, not a stack trace.
  const message = err instanceof ConfigError || err instanceof Error ? err.message : String(err);
  console.error(`\nerror: ${message}`);
  process.exitCode = 1;
}
