import { connectionsConfig } from '../shared/config/connections.ts';
import { loadConfig, type ConfigOf } from '../shared/config/index.ts';
import { ensureLibrdkafka } from './librdkafka.ts';
import { up, type Stack } from './stack.ts';

type ConnectionsConfig = ConfigOf<typeof connectionsConfig>;
type Server = 'kafka' | 'elasticsearch' | 'postgres' | 'redis';
const ALL: readonly Server[] = ['kafka', 'elasticsearch', 'postgres', 'redis'];
const ENV: Record<Server, string> = { kafka: 'KAFKA_BROKERS', elasticsearch: 'ELASTICSEARCH_URL', postgres: 'DATABASE_URL', redis: 'REDIS_URL' };
const TITLE: Record<Server, string> = { kafka: 'Kafka', elasticsearch: 'Elasticsearch', postgres: 'Postgres', redis: 'Redis' };
/** A probe of an address that drops packets instead of refusing must not hold the command (the 5 s budget). */
const PROBE_TIMEOUT_MS = 1500;

/** The servers an entry talks to; entries not listed need none. */
export function serversFor(entry: string): readonly Server[] {
  if (entry === 'infra/keys.ts') return ['postgres'];
  if (entry.startsWith('bench/') || entry.startsWith('workers/') || entry === 'query/server.ts') return ALL;
  return [];
}

export function address(server: Server, conn: ConnectionsConfig): { host: string; port: number; text: string } {
  if (server === 'kafka') {
    const first = (conn.kafkaBrokers.split(',')[0] ?? '').trim();
    const [host = '127.0.0.1', port = '9092'] = first.split(':');
    return { host, port: Number(port), text: first };
  }
  const url = new URL({ elasticsearch: conn.elasticsearchUrl, postgres: conn.databaseUrl, redis: conn.redisUrl }[server]);
  const fallback = { elasticsearch: 9200, postgres: 5432, redis: 6379 }[server];
  const port = Number(url.port || fallback);
  return { host: url.hostname, port, text: `${url.hostname}:${port}` };
}

async function reachable(host: string, port: number): Promise<boolean> {
  const attempt = Bun.connect({ hostname: host, port, socket: { data() {}, error() {} } }).then(
    (socket) => (socket.end(), true),
    () => false,
  );
  return Promise.race([attempt, Bun.sleep(PROBE_TIMEOUT_MS).then(() => false)]);
}

/**
 * `node infra/bootstrap.mjs run <entry.ts> [args]` (every `npm run` script that runs a program): the servers the
 * entry needs are checked first, so a missing one costs a second and one line instead of a client's 30 s timeout and
 * stack trace. Servers at the stack's default addresses are started (and left running, as `npm start` leaves them);
 * an address set in the environment is a server someone else runs, so the command names what to start instead.
 */
export async function runEntry(stack: Stack, [entry, ...args]: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  if (!entry) {
    console.error('usage: node infra/bootstrap.mjs run <entry.ts> [args]');
    return 2;
  }
  const asksHelp = args.includes('--help') || args.includes('-h') || args.includes('--print-config');
  const needs = asksHelp ? [] : serversFor(entry);
  if (needs.length > 0) {
    const conn = loadConfig(connectionsConfig, env);
    const down: Server[] = [];
    await Promise.all(needs.map(async (s) => {
      const at = address(s, conn);
      if (!(await reachable(at.host, at.port))) down.push(s);
    }));
    const foreign = down.find((s) => env[ENV[s]] !== undefined);
    if (foreign) {
      console.error(`${TITLE[foreign]} is not running on ${address(foreign, conn).text}: run \`npm run stack -- up\` first (or point ${ENV[foreign]} at a running server)`);
      return 1;
    }
    if (down.length > 0) {
      const started = await up(stack, down);
      if (started.length) stack.ctx.log(`started ${started.join(', ')} (\`npm run stack -- down\` stops them)`);
    } else if (needs.includes('kafka')) {
      await ensureLibrdkafka(stack.ctx);
    }
  }
  const proc = Bun.spawn([process.execPath, entry, ...args], { cwd: stack.ctx.root, stdio: ['inherit', 'inherit', 'inherit'], env: { ...process.env, ...env } });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => proc.kill(sig));
  return proc.exited;
}
