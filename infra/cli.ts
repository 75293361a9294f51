import { connectionsConfig } from '../shared/config/connections.ts';
import { ConfigError, loadConfig } from '../shared/config/index.ts';
import { createStack, down, status, tail, up, wipe, type Stack } from './stack.ts';
import { runTests } from './test-runner.ts';
import { edgeConfig } from '../edge/config.ts';
import { queryConfig } from '../query/config.ts';
import { workersConfig } from '../workers/config.ts';
import { startDemoTraffic } from './demo.ts';
import { startApps, stopApps } from './platform.ts';

const USAGE = `usage:
  npm start                      start the stack (and the platform), print where to look
  npm test [-- <bun test args>]  start the stack if needed, run every test, stop what it started
  npm run stack -- up|down|status|wipe|logs <name> [lines]
  npm run fuzz -- [--requests N --seed N ...]  hostile requests against a running platform (--help)`;

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
    case 'fuzz':
      return runFuzz(stack, rest);
    default:
      console.error(USAGE);
      return cmd ? 2 : 0;
  }
}

async function start(stack: Stack, args: string[]): Promise<number> {
  await up(stack);
  const conn = loadConfig(connectionsConfig);
  const edge = loadConfig(edgeConfig);
  const workersPort = loadConfig(workersConfig).metricsPort;
  const queryUrl = `http://127.0.0.1:${loadConfig(queryConfig).port}`;
  const edgeUrl = `http://127.0.0.1:${edge.port}`;
  const apps = await startApps(stack.ctx.root, stack.ctx.home, [
    { name: 'edge', entry: 'edge/server.ts', readyUrl: `${edgeUrl}/readyz` },
    { name: 'workers', entry: 'workers/main.ts', readyUrl: `http://127.0.0.1:${workersPort}/healthz` },
    { name: 'query', entry: 'query/server.ts', readyUrl: `${queryUrl}/healthz` },
  ], log);
  const stopDemo = args.includes('--no-demo') ? undefined : startDemoTraffic({ env: { DEMO_EDGE_URL: edgeUrl, ...process.env }, log });
  console.log(`
Event Lens is running.
  Dashboard         ${queryUrl}/dashboard
  GraphQL           ${queryUrl}/graphql       (GraphiQL in a browser)
  REST              ${queryUrl}/api/stats, /analytics/events/count, /data, /recent/:sensor_id
  Edge (ingest)     ${edgeUrl}             POST /v1/events, /orders, /events, /api/events, /api/events/ingest, /data
  Edge metrics      ${edgeUrl}/metrics
  Workers metrics   http://127.0.0.1:${workersPort}/metrics
  Kafka             ${conn.kafkaBrokers}   topic ${edge.topic}
  Elasticsearch     ${conn.elasticsearchUrl}   alias events
  Postgres          ${conn.databaseUrl}   table events
  Redis             ${conn.redisUrl}   keys el:*
  Logs              ${stack.ctx.home}/logs
${stopDemo ? '  Demo traffic      on (npm start -- --no-demo to turn it off)\n' : ''}
Try:
  curl -s -X POST ${edgeUrl}/v1/events -H 'content-type: application/json' -d '{"type":"signup","key":"u-1","data":{"plan":"pro"}}'
  curl -s ${queryUrl}/graphql -H 'content-type: application/json' -d '{"query":"{ liveStats { total eventsPerSecond } events(query: \\"signup\\") { totalCount } }"}'

Ctrl-C stops edge, workers, query and demo; the servers keep running (npm run stack -- down stops them).`);
  const { promise, resolve } = Promise.withResolvers<void>();
  process.once('SIGINT', () => resolve());
  process.once('SIGTERM', () => resolve());
  await Promise.race([promise, ...apps.map((a) => a.proc.exited.then((code) => log(`${a.name} exited with ${code}`)))]);
  const demo = stopDemo?.();
  if (demo) log(`demo: ${demo.sent} events accepted in total`);
  await stopApps(apps);
  log('stopped edge, workers and query');
  return 0;
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
    case 'status': {
      const rows = await status(stack);
      for (const r of rows) console.log(`${r.name.padEnd(14)} ${r.state.padEnd(9)} ${r.pid ? `pid ${r.pid}` : ''} ${r.ports.map((p) => `:${p}`).join(' ')}`.trimEnd());
      return rows.every((r) => r.state !== 'stopped') ? 0 : 3;
    }
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
