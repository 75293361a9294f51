import type { Sql, TransactionSql } from 'postgres';
import { checkedSchema, runMigrations, type Migration } from '../../../shared/stores/migrate.ts';
import { memoize } from '../../../shared/memo.ts';

/**
 * Schema management: versioned migrations, and the daily partitions of `events`.
 *
 * Why `events` is keyed (event_id, event_time): Postgres requires a partitioned table's primary key to contain the
 * partition key, and ON CONFLICT can only detect a duplicate inside the partition the new row is routed to. Both are
 * fine here because event_time is the event's own `timestamp`, which the edge fixes once and which travels with the
 * event through Kafka: a re-delivered event has the same (event_id, event_time), lands in the same partition and
 * conflicts there, so ON CONFLICT DO NOTHING still dedupes by event id alone.
 */

// One statement per entry: DDL goes through the extended protocol, which runs a single statement per query.
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'create_events',
    statements: (s) => [
      `create table if not exists ${s}.events (
        event_id text not null,
        type text not null,
        source text,
        key text not null,
        event_time timestamptz not null,
        received_at timestamptz not null,
        processed_at timestamptz not null default now(),
        data jsonb not null,
        primary key (event_id, event_time)
      ) partition by range (event_time)`,
      // A day without its own partition (outside the window, or DDL failed) must still be writable.
      `create table if not exists ${s}.events_default partition of ${s}.events default`,
      `create index if not exists events_type_time on ${s}.events (type, event_time)`,
    ],
  },
  {
    version: 2,
    name: 'create_sensor_data',
    // As the older sensor service had it, keyed by event id instead of a serial so that re-delivery is a no-op.
    statements: (s) => [
      `create table if not exists ${s}.sensor_data (
        event_id text primary key,
        sensor_id text not null,
        value double precision not null,
        unit text,
        "timestamp" timestamptz not null,
        received_at timestamptz not null
      )`,
      `create index if not exists sensor_data_sensor_time on ${s}.sensor_data (sensor_id, "timestamp")`,
    ],
  },
  {
    version: 3,
    name: 'events_time_brin',
    // Reads of `events` go by event id (the primary key) or by a time range (the analytics count while the search node
    // is down), which the (type, event_time) btree could not serve without a type; it only cost each insert ~1–2 µs
    // of the backend's ~11–13 µs per row (measured over 200,000 rows in batches of 2,000). Rows arrive in about time
    // order, so a BRIN index on event_time answers time ranges inside a day's partition for ~0.2 µs per row.
    statements: (s) => [`drop index if exists ${s}.events_type_time`, `create index if not exists events_time_brin on ${s}.events using brin (event_time)`],
  },
  {
    version: 4,
    name: 'event_id_collate_c',
    // Ids are compared for equality and sorted only to break ties, so bytewise order is enough; under the database's
    // default collation (C.UTF-8 here) every comparison in the primary-key btree went through strcoll, ~1 µs of the
    // backend's ~13–14 µs per inserted row (200,000 bench events inserted in batches of 2,000, with and without).
    statements: (s) => [
      `alter table ${s}.events alter column event_id type text collate "C"`,
      `alter table ${s}.sensor_data alter column event_id type text collate "C"`,
    ],
  },
];



/** Serialises DDL across workers per schema; xact locks free themselves at commit or when the connection dies. */
async function lock(tx: TransactionSql, purpose: string, schema: string): Promise<void> {
  await tx`select pg_advisory_xact_lock(hashtext(${`event_lens.${purpose}.${schema}`}))`;
}

/** Versioned and idempotent (shared/stores/migrate.ts): safe to run from every worker at start. */
export function migrate(sql: Sql, { schema = 'public' }: { schema?: string } = {}): Promise<number[]> {
  return runMigrations(sql, { schema, table: 'schema_migrations', lockName: 'migrations', migrations: MIGRATIONS });
}

const DAY_MS = 86_400_000;
const partitionName = (day: string) => `events_p${day.replaceAll('-', '')}`;

/**
 * The UTC day (`YYYY-MM-DD`) of an ISO timestamp, or undefined if it is not one Postgres could hold in a partition.
 * Memoised: a batch's events mostly share a few timestamps (the edge stamps a request's events in one millisecond,
 * and most clients send none), and this runs for every row.
 */
export const dayOf = memoize(function dayOf(iso: string): string | undefined {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return undefined;
  const day = new Date(ms).toISOString().slice(0, 10);
  return /^\d{4}-\d{2}-\d{2}$/.test(day) && !day.startsWith('0000') ? day : undefined;
}, 10_000);

/** Today and the `ahead` days after it, so a new day's first writes find their partition already there. */
export function daysAhead(nowMs: number, ahead: number): string[] {
  return Array.from({ length: ahead + 1 }, (_, i) => new Date(nowMs + i * DAY_MS).toISOString().slice(0, 10));
}

/** Whether a day is close enough to now to get its own partition; the others go to DEFAULT. */
export function inWindow(day: string, nowMs: number, windowDays: number): boolean {
  return Math.abs(Date.parse(`${day}T00:00:00Z`) - nowMs) <= windowDays * DAY_MS;
}

/** Days that already have a partition, read back from their names. */
export async function existingPartitionDays(sql: Sql, schema: string): Promise<string[]> {
  const rows = await sql<Array<{ name: string }>>`
    select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = ${`${checkedSchema(schema)}.events`}::regclass`;
  return rows.flatMap(({ name }) => {
    const m = /^events_p(\d{4})(\d{2})(\d{2})$/.exec(name);
    return m ? [`${m[1]}-${m[2]}-${m[3]}`] : [];
  });
}

/**
 * Creates the daily partitions for `days` and returns the days that are now settled: those with a partition, and
 * those that must stay in DEFAULT because it already holds rows of that day (Postgres then refuses the new partition
 * with 23514) or because another partition covers them (42P17). Each day gets a savepoint so one refusal does not
 * abort the others.
 */
export async function createPartitions(sql: Sql, schema: string, days: readonly string[]): Promise<string[]> {
  const s = checkedSchema(schema);
  return sql.begin(async (tx) => {
    await lock(tx, 'partitions', s);
    const settled: string[] = [];
    for (const day of days) {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) continue;
      const next = new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
      try {
        await tx.savepoint((sp) =>
          sp.unsafe(`create table if not exists ${s}.${partitionName(day)} partition of ${s}.events
            for values from ('${day} 00:00:00+00') to ('${next} 00:00:00+00')`),
        );
        settled.push(day);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (code !== '23514' && code !== '42P17') throw error;
        settled.push(day);
      }
    }
    return settled;
  });
}
