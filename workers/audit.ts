import { parseArgs } from 'node:util';
import postgres from 'postgres';
import Redis from 'ioredis';
import { connectionsConfig } from '../shared/config/connections.ts';
import { loadConfig } from '../shared/config/index.ts';
import { createAdmin } from '../shared/kafka/index.ts';
import { runAudit } from './audit/audit.ts';
import { formatTable, progressBar } from './audit/report.ts';
import { elasticsearchLookup, postgresLookup, redisLookup, type Lookup } from './audit/stores.ts';
import type { Store } from './audit/tally.ts';
import { workersConfig } from './config.ts';
import { elasticsearchConfig } from './sinks/elasticsearch/config.ts';
import { postgresSinkConfig } from './sinks/postgres/config.ts';
import { redisSinkConfig } from './sinks/redis/config.ts';

const HELP = `npm run audit -- --from T --to T [--source S] [--type X] [--ids] [--json] [--progress]

Did every event received in [from, to) reach every store? Reads the events topic for that range (by receive time),
looks each event id up in Elasticsearch, Postgres and Redis, and matches dead letters to the events they explain.
T is an ISO time (2025-05-01T12:00Z), epoch ms, or a duration back from now (90m, 2h, 1d).

  --from T, --to T   the range (--to defaults to now)
  --source S         only events from this source
  --type X           only events of this type
  --ids              list the missing and duplicated ids (store, kind, id), the first --max-ids of them
  --max-ids N        how many ids to keep and list (default 1000)
  --json             the same report as JSON on stdout
  --progress         a progress bar on stderr even when it is not a terminal
  --chunk N          records checked against the stores at a time (default 5000)
  --timeout S        seconds any one step may wait on the broker or a store before the audit fails with a code
                     (kafka_read_stalled, store_timeout; default 60)

Exit 0 when nothing is missing or duplicated beyond what the dead-letter topic explains, 1 when something is,
2 for bad arguments. Settings (topic, alias, schema, key prefix) are the workers' (WORKERS_*, SINK_*).`;

const fail = (code: string, message: string): never => {
  console.error(JSON.stringify({ error: { code, message } }));
  process.exit(2);
};

export function parseTime(text: string, now = Date.now()): number | undefined {
  const ago = /^(\d+)(s|m|h|d)$/.exec(text);
  if (ago) return now - Number(ago[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[ago[2] as 's' | 'm' | 'h' | 'd'];
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

const positive = (name: string, text: string | undefined, fallback: number): number => {
  if (text === undefined) return fallback;
  const n = Number(text);
  return Number.isInteger(n) && n > 0 && n <= 1_000_000 ? n : fail('invalid_argument', `--${name} expects an integer from 1 to 1000000, got ${JSON.stringify(text)}`);
};

if (import.meta.main) {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        from: { type: 'string' }, to: { type: 'string' }, source: { type: 'string' }, type: { type: 'string' },
        ids: { type: 'boolean' }, json: { type: 'boolean' }, progress: { type: 'boolean' }, help: { type: 'boolean' },
        chunk: { type: 'string' }, 'max-ids': { type: 'string' }, timeout: { type: 'string' },
      },
    }));
  } catch (error) {
    fail('invalid_argument', (error as Error).message);
  }
  if (values!.help) {
    console.log(HELP);
    process.exit(0);
  }
  const args = values!;
  if (args.from === undefined) fail('missing_argument', '--from is required (see --help)');
  const from = parseTime(args.from!) ?? fail('invalid_time', `--from: expected an ISO time, epoch ms or a duration such as 90m, got ${JSON.stringify(args.from)}`);
  const to = args.to === undefined ? Date.now() : (parseTime(args.to) ?? fail('invalid_time', `--to: expected an ISO time, epoch ms or a duration, got ${JSON.stringify(args.to)}`));
  if (to <= from) fail('invalid_range', '--to must be after --from');

  const timeoutMs = positive('timeout', args.timeout, 60) * 1000;
  const connections = loadConfig(connectionsConfig);
  const workers = loadConfig(workersConfig);
  const es = loadConfig(elasticsearchConfig);
  const pg = loadConfig(postgresSinkConfig);
  const rs = loadConfig(redisSinkConfig);
  // Every audit query probes the primary key with one chunk of ids. Without table statistics (autovacuum off, or a
  // table just filled) the planner picks a sequential scan of the whole table per chunk, and parallel workers and JIT
  // compilation cost more than such a query takes; the audit's own connections rule all three out.
  const sql = postgres(connections.databaseUrl, {
    max: 2,
    onnotice: () => {},
    connection: { enable_seqscan: 'off', max_parallel_workers_per_gather: '0', jit: 'off' },
  });
  const redis = new Redis(connections.redisUrl, { maxRetriesPerRequest: 2 });
  redis.on('error', () => {});
  const all: Record<Store, Lookup> = {
    elasticsearch: elasticsearchLookup({ url: connections.elasticsearchUrl, alias: es.alias }),
    postgres: postgresLookup({ sql, schema: pg.schema }),
    redis: redisLookup({ redis, prefix: rs.keyPrefix }),
  };
  const lookups = Object.fromEntries(workers.sinks.map((s) => [s, all[s]]));
  // Documents become searchable at the next refresh (refreshInterval); a refresh first makes the latest ones count.
  // Bounded like every other step: a search node that never answers the refresh fails the lookups after it, with a code.
  const refreshed = fetch(`${connections.elasticsearchUrl.replace(/\/$/, '')}/${es.alias}/_refresh?ignore_unavailable=true&allow_no_indices=true`, { method: 'POST', signal: AbortSignal.timeout(Math.min(timeoutMs, 30_000)) }).catch(() => {});
  // The connections open beside the refresh, so the first chunk's lookups do not wait for them.
  await Promise.all([refreshed, sql`select 1`.catch(() => {}), redis.ping().catch(() => {})]);
  const admin = createAdmin({ brokers: connections.kafkaBrokers });
  const started = performance.now();
  const showProgress = args.progress === true || process.stderr.isTTY === true;
  let code = 1;
  try {
    const result = await runAudit({
      admin, brokers: connections.kafkaBrokers, topic: workers.topic, dlqTopic: workers.dlqTopic, from, to,
      source: args.source, type: args.type, lookups,
      // A seen marker lives seenTtlSeconds; older events are not looked for in Redis (shown as "-"), with a minute's margin.
      redisSince: Date.now() - rs.seenTtlSeconds * 1000 + 60_000,
      chunkSize: positive('chunk', args.chunk, 5000), maxFindings: positive('max-ids', args['max-ids'], 1000),
      lookupTimeoutMs: timeoutMs, stallMs: timeoutMs,
      ...(showProgress && { onProgress: (done: number, total: number) => process.stderr.write(progressBar(done, total, started)) }),
    });
    if (showProgress) process.stderr.write('\n');
    console.log(args.json ? JSON.stringify(result, null, 2) : formatTable(result, { ids: args.ids === true }));
    code = result.ok ? 0 : 1;
  } catch (error) {
    console.error(JSON.stringify({ error: { code: (error as { code?: string }).code ?? 'audit_failed', message: (error as Error).message } }));
    code = 1;
  } finally {
    redis.disconnect();
    // The verdict is already printed: closing connections may take a few seconds, never the exit code.
    await Promise.race([Promise.all([admin.close(), sql.end({ timeout: 5 })]).catch(() => {}), Bun.sleep(10_000)]);
  }
  process.exit(code);
}
