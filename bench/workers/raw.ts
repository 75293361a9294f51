import { Client } from '@elastic/elasticsearch';
import { FetchConnection } from '../../shared/stores/es-connection.ts';
import postgres from 'postgres';
import type { StampedEvent } from '../../shared/contracts/index.ts';

/**
 * The references for bench:workers: the plainest fast way to load the same documents into each store, with none of
 * the workers' guarantees (no idempotence checks, no partitions, no retries) — what a hand-written loader would do.
 */
export async function rawBulkLoad(url: string, events: readonly StampedEvent[], batch = 2000): Promise<number> {
  const client = new Client({ node: url, Connection: FetchConnection });
  const index = `bench-raw-${Date.now().toString(36)}`;
  try {
    await client.indices.create({ index, settings: { number_of_shards: 1, number_of_replicas: 0, refresh_interval: '1s' } });
    const t = performance.now();
    for (let i = 0; i < events.length; i += batch) {
      const operations = events.slice(i, i + batch).flatMap((e) => [{ index: { _index: index, _id: e.id } }, e]);
      const res = await client.bulk({ operations });
      if (res.errors) throw new Error('raw _bulk load had item errors');
    }
    return events.length / ((performance.now() - t) / 1000);
  } finally {
    await client.indices.delete({ index }).catch(() => {});
    await client.close();
  }
}

export async function rawBatchInsert(url: string, events: readonly StampedEvent[], batch = 5000): Promise<number> {
  const sql = postgres(url, { max: 4, onnotice: () => {} });
  const table = `bench_raw_${Date.now().toString(36)}`;
  try {
    await sql.unsafe(`create table ${table} (event_id text primary key, type text, source text, key text, event_time timestamptz, received_at timestamptz, data jsonb)`);
    const t = performance.now();
    for (let i = 0; i < events.length; i += batch) {
      const rows = events.slice(i, i + batch);
      await sql.unsafe(
        `insert into ${table} select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::text[]::jsonb[])`,
        [rows.map((e) => e.id), rows.map((e) => e.type), rows.map((e) => e.source ?? null), rows.map((e) => e.key), rows.map((e) => e.timestamp), rows.map((e) => e.receivedAt), rows.map((e) => JSON.stringify(e.data))] as never,
      );
    }
    return events.length / ((performance.now() - t) / 1000);
  } finally {
    await sql.unsafe(`drop table if exists ${table}`).catch(() => {});
    await sql.end();
  }
}
