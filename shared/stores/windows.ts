import type { Sql } from 'postgres';
import type { WindowStats } from '../pipelines/windows.ts';
import { checkedSchema, runMigrations, type Migration } from './migrate.ts';

/**
 * Windowed aggregation state and results: written by the workers' window operator (workers/windows), read by the
 * gateway (`readWindows`, for GraphQL `windows(...)` and `GET /api/pipelines/:id/window`).
 *
 * Postgres (in the configured schema; times in the state tables are epoch ms, in the read tables timestamptz):
 *
 * | table             | one row per                                            | holds                                            |
 * |-------------------|--------------------------------------------------------|--------------------------------------------------|
 * | window_partials   | pipeline, aggregate step, window, group key, partition | count, n (valued events), sum, min, max, log     |
 * |                   |                                                        | buckets (json), last_offset applied to the row    |
 * | window_partitions | pipeline, aggregate step, Kafka partition              | max event time seen, last offset applied          |
 * | window_results    | pipeline, aggregate step, window, group key            | count sum avg min max p50 p95 p99, closed         |
 * | window_late       | pipeline, step, partition, offset, window start        | the late event: id, time, key, window, watermark  |
 *
 * A batch's partials, partition state, late rows and the results it touched are written in ONE transaction, and an
 * event at an offset <= window_partitions.last_offset is skipped, so a re-delivered or replayed batch changes nothing
 * (exactly-once in effect) and a partition that moves to another worker continues from exactly this state.
 *
 * Redis (live copy of window_results; `P` is the Redis key prefix, default `el:`):
 *
 * | key                                        | type | content                                                   |
 * |--------------------------------------------|------|-----------------------------------------------------------|
 * | P win:<pipeline>:<step>:<key>:<start ms>   | hash | start, end (ISO), count, sum, avg, min, max, p50, p95,    |
 * |                                            |      | p99 ('' = null), closed (0/1), updated_at; expires liveTtl|
 * |                                            |      | after its last write                                      |
 * | P wins:<pipeline>                          | zset | member `<step>:<key>:<start ms>`, score start ms: index    |
 * |                                            |      | of windows that started within liveTtl (older trimmed)    |
 */



const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'create_windows',
    statements: (s) => [
      `create table if not exists ${s}.window_partials (
        pipeline_id text not null, step integer not null, window_start bigint not null, window_end bigint not null,
        group_key text not null, partition integer not null,
        count bigint not null, n bigint not null, sum double precision not null, min double precision, max double precision,
        buckets jsonb not null, last_offset bigint not null, updated_at timestamptz not null default now(),
        primary key (pipeline_id, step, window_start, window_end, group_key, partition))`,
      `create table if not exists ${s}.window_partitions (
        pipeline_id text not null, step integer not null, partition integer not null,
        max_event_time bigint, last_offset bigint not null default -1, updated_at timestamptz not null default now(),
        primary key (pipeline_id, step, partition))`,
      `create table if not exists ${s}.window_results (
        pipeline_id text not null, step integer not null, window_start timestamptz not null, window_end timestamptz not null,
        group_key text not null, count bigint not null, sum double precision, avg double precision,
        min double precision, max double precision, p50 double precision, p95 double precision, p99 double precision,
        closed boolean not null default false, updated_at timestamptz not null default now(),
        primary key (pipeline_id, step, window_start, window_end, group_key))`,
      `create index if not exists window_results_key on ${s}.window_results (pipeline_id, group_key, window_start)`,
      `create index if not exists window_results_open on ${s}.window_results (pipeline_id, step, window_end) where not closed`,
      `create table if not exists ${s}.window_late (
        pipeline_id text not null, step integer not null, partition integer not null, "offset" bigint not null,
        event_id text not null, event_time timestamptz not null, group_key text not null,
        window_start timestamptz not null, window_end timestamptz not null, watermark timestamptz not null,
        value double precision, recorded_at timestamptz not null default now(),
        primary key (pipeline_id, step, partition, "offset", window_start))`,
    ],
  },
  {
    version: 2,
    name: 'room_for_hot_updates',
    // Every batch rewrites its partials, results and partition rows. With full pages each update is a new tuple on
    // another page plus an entry in every index; room on the page lets Postgres update in place (HOT, no index
    // writes). Applies to pages written from now on.
    statements: (s) => [
      `alter table ${s}.window_partials set (fillfactor = 60)`,
      `alter table ${s}.window_results set (fillfactor = 60)`,
      `alter table ${s}.window_partitions set (fillfactor = 50)`,
    ],
  },
  {
    version: 3,
    name: 'partial_buckets_as_json',
    // Only the operator reads the histogram, and whole: jsonb bought nothing, while turning each flushed partial's
    // buckets into jsonb (key sorting, a binary tree) was over half of Postgres's time parsing a flush's partials.
    statements: (s) => [`alter table ${s}.window_partials alter column buckets type json using buckets::json`],
  },
];

/** Versioned and idempotent (shared/stores/migrate.ts); every worker calls it at start. Returns the versions applied. */
export function migrateWindows(sql: Sql, schema: string): Promise<number[]> {
  return runMigrations(sql, { schema, table: 'window_migrations', lockName: 'windows', migrations: MIGRATIONS });
}

export interface WindowResult extends WindowStats {
  readonly pipelineId: string;
  /** Index of the aggregate step in the pipeline's definition (a pipeline may aggregate more than once). */
  readonly step: number;
  readonly key: string;
  readonly windowStart: Date;
  readonly windowEnd: Date;
  /** The watermark (min over the pipeline's partitions) passed the window's end: later events are `late`. */
  readonly closed: boolean;
  readonly updatedAt: Date;
}

export interface WindowQuery {
  readonly pipelineId: string;
  readonly key?: string;
  /** Windows starting at or after this time. */
  readonly from?: Date;
  /** Windows starting before this time. */
  readonly to?: Date;
  readonly limit?: number;
}

/** The select list that reads a window_results row as a WindowResult (the operator returns rows in this shape too). */
export const WINDOW_RESULT_COLUMNS = `pipeline_id as "pipelineId", step, group_key as key, window_start as "windowStart", window_end as "windowEnd",
  count::float8 as count, sum, avg, min, max, p50, p95, p99, closed, updated_at as "updatedAt"`;

/** Window results of a pipeline, oldest window first (then key and step); at most `limit` (default 1000) rows. */
export async function readWindows(sql: Sql, schema: string, { pipelineId, key, from, to, limit = 1000 }: WindowQuery): Promise<WindowResult[]> {
  return sql.unsafe<WindowResult[]>(
    `select ${WINDOW_RESULT_COLUMNS} from ${checkedSchema(schema)}.window_results
     where pipeline_id = $1 and ($2::text is null or group_key = $2)
       and ($3::timestamptz is null or window_start >= $3) and ($4::timestamptz is null or window_start < $4)
     order by window_start, group_key, step limit $5`,
    [pipelineId, key ?? null, from ?? null, to ?? null, limit],
  );
}

/** The Redis keys of the live copy (layout above). */
export function windowKeys(prefix: string) {
  return {
    window: (pipelineId: string, step: number, key: string, startMs: number) => `${prefix}win:${pipelineId}:${step}:${key}:${startMs}`,
    index: (pipelineId: string) => `${prefix}wins:${pipelineId}`,
    member: (step: number, key: string, startMs: number) => `${step}:${key}:${startMs}`,
  };
}
