/**
 * The stores' side of an edge test: `bun workers/main.ts` as a real process on an isolated run's group, index
 * prefix, schema and Redis prefix (shared/testing/isolation.ts), consuming the edge fixture's topic, and readers that
 * count what each store holds for a list of event ids. Edge tests start the worker as a process rather than
 * importing workers/, so they keep the rule that edge imports only shared/.
 */
import { join } from 'node:path';
import Redis from 'ioredis';
import postgres from 'postgres';
import { connectionsConfig } from '../shared/config/connections.ts';
import { loadConfig } from '../shared/config/index.ts';
import { keys } from '../shared/stores/redis-keys.ts';
import { isolatedStoresEnv, isolation, isolationId, removeIsolated, type Isolation } from '../shared/testing/isolation.ts';
import { waitFor } from '../shared/testing/wait.ts';
import { captureOutput } from '../shared/testing/output.ts';

export { readable as eventually } from '../shared/testing/wait.ts';

const ROOT = join(import.meta.dir, '..');

export type StoreRun = Isolation;

/** A fresh isolated run for an edge test's stores. */
export const storeRun = (what: string): StoreRun => isolation(isolationId(`edge_${what}`));

/** The worker's environment for `run` consuming the edge fixture's `topic` on `brokers`: one process, quick retries. */
export function workerEnv(run: StoreRun, topic: string, brokers: string): Record<string, string> {
  return {
    ...isolatedStoresEnv(run.id),
    KAFKA_BROKERS: brokers,
    WORKERS_COUNT: '1',
    WORKERS_TOPIC: topic,
    WORKERS_METRICS_PORT: '0',
    WORKERS_METRICS_HOSTNAME: '127.0.0.1',
    WORKERS_BATCH_SIZE: '500',
    WORKERS_RETRY_INITIAL_MS: '50',
    WORKERS_RETRY_MAX_MS: '1000',
  };
}

export interface WorkerProcess {
  output(): string;
  /** SIGTERM (the worker commits and leaves its group), SIGKILL after 15 s. */
  stop(): Promise<void>;
}

/** Starts `bun workers/main.ts` with `env` and resolves once it has joined (its start line is printed). */
export async function spawnWorker(env: Record<string, string>): Promise<WorkerProcess> {
  const proc = Bun.spawn([process.execPath, join(ROOT, 'workers/main.ts')], { cwd: ROOT, env: { ...process.env, ...env }, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
  const output = captureOutput(proc);
  await waitFor(() => /metrics on http/.test(output()) || proc.exitCode !== null, 30_000, 'the worker to start');
  if (proc.exitCode !== null) throw new Error(`the worker exited early (${proc.exitCode}):\n${output()}`);
  return {
    output,
    async stop() {
      if (proc.exitCode !== null) return;
      proc.kill('SIGTERM');
      await Promise.race([proc.exited, Bun.sleep(15_000)]);
      if (proc.exitCode === null) proc.kill('SIGKILL');
    },
  };
}

/** How often each of `ids` is in each store: Postgres rows, Elasticsearch documents, Redis `seen` keys. */
export interface IdCounts {
  pg: Map<string, number>;
  es: Map<string, number>;
  redisSeen: number;
}

/** Read access to the shared stores for a run's names; `close()` ends the connections. */
export function storeReaders() {
  const conn = loadConfig(connectionsConfig);
  const es = conn.elasticsearchUrl.replace(/\/$/, '');
  const sql = postgres(conn.databaseUrl, { max: 2, onnotice: () => {} });
  const redis = new Redis(conn.redisUrl, { maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  const esJson = async <T>(path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${es}${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`Elasticsearch ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };

  const refresh = async (run: StoreRun) => {
    await fetch(`${es}/${run.esPrefix}-*/_refresh`, { method: 'POST' });
  };

  /** Rows in the run's events table (0 before the sink made it). */
  async function pgCount(run: StoreRun): Promise<number> {
    try {
      const [row] = await sql<{ n: number }[]>`select count(*)::int as n from ${sql(`${run.pgSchema}.events`)}`;
      return row?.n ?? 0;
    } catch (error) {
      if ((error as { code?: string }).code === '42P01') return 0;
      throw error;
    }
  }

  async function countIds(run: StoreRun, ids: readonly string[]): Promise<IdCounts> {
    const rows = await sql<{ event_id: string; n: number }[]>`
      select event_id, count(*)::int as n from ${sql(`${run.pgSchema}.events`)} where event_id in ${sql(ids)} group by event_id`;
    await refresh(run);
    const hits = await esJson<{ hits: { hits: Array<{ _id: string }> } }>(`/${run.esPrefix}-*/_search`, { size: ids.length * 2 + 10, _source: false, query: { ids: { values: ids } } });
    const esCounts = new Map<string, number>();
    for (const h of hits.hits.hits) esCounts.set(h._id, (esCounts.get(h._id) ?? 0) + 1);
    const layout = keys(run.redisPrefix);
    const seen = await Promise.all(ids.map((id) => redis.exists(layout.seen(id))));
    return { pg: new Map(rows.map((r) => [r.event_id, r.n])), es: esCounts, redisSeen: seen.filter((n) => n === 1).length };
  }

  /** Events the Redis sink counted for the run (its `total` counter). */
  const redisTotal = async (run: StoreRun): Promise<number> => Number((await redis.get(keys(run.redisPrefix).total)) ?? 0);

  /** Totals: Elasticsearch documents, Postgres rows, events the Redis sink counted. */
  async function counts(run: StoreRun): Promise<{ es: number; pg: number; redis: number }> {
    await refresh(run);
    const [es, pg, redisN] = await Promise.all([esJson<{ count: number }>(`/${run.esPrefix}-*/_count`).then((r) => r.count), pgCount(run), redisTotal(run)]);
    return { es, pg, redis: redisN };
  }

  /** Deletes what the run wrote: indices and template, schema, Redis keys (removeIsolated). The edge's topic is the fixture's. */
  const cleanup = (run: StoreRun): Promise<void> => removeIsolated(run.id);

  async function close(): Promise<void> {
    await sql.end({ timeout: 5 });
    redis.disconnect();
  }

  return { sql, redis, esJson, pgCount, countIds, counts, redisTotal, cleanup, close, seenKey: (run: StoreRun, id: string) => keys(run.redisPrefix).seen(id) };
}
export type StoreReaders = ReturnType<typeof storeReaders>;

export { uncommitted } from '../shared/testing/topics.ts';
