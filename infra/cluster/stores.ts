import Redis from 'ioredis';
import postgres from 'postgres';
import { connectionsConfig } from '../../shared/config/connections.ts';
import { loadConfig } from '../../shared/config/index.ts';
import { listKeys } from '../../shared/stores/redis-scan.ts';
import { keys } from '../../shared/stores/redis-keys.ts';

/** One store's view of a run: rows in all, accepted ids it lacks, and rows beyond one per id. */
export interface StoreTally {
  total: number;
  missing: number;
  duplicates: number;
}

const CHUNK = 1000;
const chunks = <T>(xs: readonly T[]) => Array.from({ length: Math.ceil(xs.length / CHUNK) }, (_, i) => xs.slice(i * CHUNK, (i + 1) * CHUNK));

/**
 * Counts, by event id, what the workers wrote for run `id` (isolatedEnv's names: alias and index prefix, schema and
 * key prefix `id`) into each store, against the ids the edge accepted.
 */
export async function tallyStores(id: string, accepted: ReadonlySet<string>): Promise<{ elasticsearch: StoreTally; postgres: StoreTally; redis: StoreTally }> {
  const conn = loadConfig(connectionsConfig);
  const ids = [...accepted];
  return { elasticsearch: await tallyElasticsearch(conn.elasticsearchUrl.replace(/\/$/, ''), id, ids), postgres: await tallyPostgres(conn.databaseUrl, id, ids), redis: await tallyRedis(conn.redisUrl, id, ids) };
}

async function tallyElasticsearch(es: string, alias: string, ids: string[]): Promise<StoreTally> {
  const call = async (path: string, method = 'GET', body?: unknown) => {
    const res = await fetch(`${es}/${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) throw new Error(`elasticsearch ${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<Record<string, unknown>>;
  };
  await call(`${alias}/_refresh`, 'POST');
  const total = ((await call(`${alias}/_count`)) as { count: number }).count;
  const seen = new Map<string, number>();
  for (const part of chunks(ids)) {
    const reply = (await call(`${alias}/_search`, 'POST', { size: part.length * 2, _source: false, query: { ids: { values: part } } })) as { hits: { hits: Array<{ _id: string }> } };
    for (const hit of reply.hits.hits) seen.set(hit._id, (seen.get(hit._id) ?? 0) + 1);
  }
  return { total, missing: ids.filter((x) => !seen.has(x)).length, duplicates: [...seen.values()].reduce((n, c) => n + c - 1, 0) };
}

async function tallyPostgres(url: string, schema: string, ids: string[]): Promise<StoreTally> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [all] = await sql<{ total: number; distinct: number }[]>`select count(*)::int as total, count(distinct event_id)::int as distinct from ${sql(`${schema}.events`)}`;
    let found = 0;
    for (const part of chunks(ids)) {
      const [row] = await sql<{ n: number }[]>`select count(distinct event_id)::int as n from ${sql(`${schema}.events`)} where event_id = any(${part})`;
      found += row?.n ?? 0;
    }
    return { total: all?.total ?? 0, missing: ids.length - found, duplicates: (all?.total ?? 0) - (all?.distinct ?? 0) };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** The sink counts an event once per `seen:<id>` claim, so a total above the number of claims is a double count. */
async function tallyRedis(url: string, id: string, ids: string[]): Promise<StoreTally> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const layout = keys(`${id}:`);
    const total = Number((await redis.get(layout.total)) ?? 0);
    const claims = (await listKeys(redis, `${layout.seenPrefix}*`)).length;
    let found = 0;
    for (const part of chunks(ids)) found += await redis.exists(...part.map((x) => layout.seen(x)));
    return { total, missing: ids.length - found, duplicates: Math.max(0, total - claims) };
  } finally {
    await redis.quit();
  }
}
