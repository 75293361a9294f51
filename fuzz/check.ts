import Redis from 'ioredis';
import postgres from 'postgres';
import { createAdmin } from '../shared/kafka/index.ts';
import { keys } from '../shared/stores/redis-keys.ts';

/** Where the workers write and which group consumes: the same settings the services read. */
export interface StoreTargets {
  readonly brokers: string;
  readonly topic: string;
  readonly groupId: string;
  readonly elasticsearchUrl: string;
  readonly esAlias: string;
  readonly databaseUrl: string;
  readonly pgSchema: string;
  readonly redisUrl: string;
  readonly redisPrefix: string;
}

export const STORES = ['elasticsearch', 'postgres', 'redis'] as const;
export type StoreName = (typeof STORES)[number];

export interface PartitionLag {
  readonly partition: number;
  readonly high: bigint;
  readonly committed: bigint;
  readonly lag: bigint;
}

const CHUNK = 1000;
const chunks = <T>(items: readonly T[]): T[][] => Array.from({ length: Math.ceil(items.length / CHUNK) }, (_, i) => items.slice(i * CHUNK, (i + 1) * CHUNK));

/**
 * Per partition of the topic: high watermark minus the group's committed offset. A partition the group never committed
 * counts from its low watermark, so messages nobody consumed show as lag.
 */
export async function topicLag(t: StoreTargets): Promise<PartitionLag[]> {
  const admin = createAdmin({ brokers: t.brokers, timeoutMs: 10_000 });
  try {
    const topic = (await admin.metadata({ timeoutMs: 10_000 })).topics.find((x) => x.name === t.topic);
    if (!topic) throw new Error(`topic ${t.topic} does not exist on ${t.brokers}`);
    const parts = topic.partitions.map((p) => p.id);
    const committed = await admin.committed(t.groupId, parts.map((partition) => ({ topic: t.topic, partition })));
    const out: PartitionLag[] = [];
    for (const partition of parts) {
      const { low, high } = await admin.watermarks(t.topic, partition, { timeoutMs: 10_000 });
      const offset = committed.find((c) => c.partition === partition)?.offset ?? -1n;
      const at = offset >= 0n ? offset : low;
      out.push({ partition, high, committed: offset, lag: high - at });
    }
    return out;
  } finally {
    await admin.close();
  }
}

/** Store readers for presence by event id; `close()` ends their connections. */
export function storeReaders(t: StoreTargets) {
  const es = t.elasticsearchUrl.replace(/\/$/, '');
  const sql = postgres(t.databaseUrl, { max: 2, onnotice: () => {} });
  const redis = new Redis(t.redisUrl, { maxRetriesPerRequest: 2 });
  redis.on('error', () => {});
  const seen = keys(t.redisPrefix).seen;

  // Through the alias, by _id; a search rather than _mget because the alias spans one index per event day.
  async function inElasticsearch(ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    const refresh = await fetch(`${es}/${t.esAlias}/_refresh`, { method: 'POST' });
    if (refresh.status === 404) return found;
    for (const chunk of chunks(ids)) {
      const res = await fetch(`${es}/${t.esAlias}/_search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ size: chunk.length * 2, _source: false, query: { ids: { values: chunk } } }),
      });
      if (!res.ok) throw new Error(`search node answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
      const body = (await res.json()) as { hits: { hits: Array<{ _id: string }> } };
      for (const hit of body.hits.hits) found.add(hit._id);
    }
    return found;
  }

  async function inPostgres(ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    try {
      for (const chunk of chunks(ids)) {
        const rows = await sql<{ event_id: string }[]>`select event_id from ${sql(`${t.pgSchema}.events`)} where event_id = any(${chunk as string[]})`;
        for (const r of rows) found.add(r.event_id);
      }
    } catch (error) {
      if ((error as { code?: string }).code !== '42P01') throw error; // no events table yet: nothing written
    }
    return found;
  }

  // The Redis sink keeps `seen:<id>` for every event it applied (shared/stores/redis-keys.ts).
  async function inRedis(ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (const chunk of chunks(ids)) {
      const pipe = redis.pipeline();
      for (const id of chunk) pipe.exists(seen(id));
      const results = (await pipe.exec()) ?? [];
      results.forEach(([err, n], i) => {
        if (err) throw err;
        if (n === 1) found.add(chunk[i]!);
      });
    }
    return found;
  }

  const readers: Record<StoreName, (ids: readonly string[]) => Promise<Set<string>>> = { elasticsearch: inElasticsearch, postgres: inPostgres, redis: inRedis };

  /** The ids of `ids` each store does not hold. */
  async function missing(ids: Record<StoreName, readonly string[]>): Promise<Record<StoreName, string[]>> {
    const out = {} as Record<StoreName, string[]>;
    await Promise.all(STORES.map(async (store) => {
      const found = await readers[store](ids[store]);
      out[store] = ids[store].filter((id) => !found.has(id));
    }));
    return out;
  }

  async function close(): Promise<void> {
    await sql.end({ timeout: 5 });
    redis.disconnect();
  }
  return { missing, close };
}
