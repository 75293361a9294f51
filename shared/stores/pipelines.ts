import type { Sql } from 'postgres';
import type { JsonObject } from '../contracts/json.ts';
import type { PipelineDefinition } from '../contracts/pipeline.ts';
import { uuidv7 } from '../contracts/uuid.ts';
import { checkedSchema as checked } from './migrate.ts';

/**
 * Pipeline definitions (versioned) and the lookup tables enrich steps read. Written by the gateway's API, read by
 * every worker (`listRunningPipelines`, `lookupEntries`). Callers validate definitions with `parsePipeline` first:
 * this module stores what it is given.
 */

/** `failed` is set by a worker whose run of the pipeline kept failing (failPipeline), never by an admin. */
export type PipelineState = 'running' | 'stopped' | 'failed';
/** The states an admin sets (start, stop); either one clears a failure. */
export type SettableState = Exclude<PipelineState, 'failed'>;

/** Why the workers stopped running a pipeline: a snake_case cause and its detail (`sink_topic_refused: _UNKNOWN_PARTITION`). */
export interface PipelineFailure {
  readonly reason: string;
  readonly at: Date;
}

export interface StoredPipeline {
  readonly id: string;
  readonly name: string;
  readonly version: number;
  readonly definition: PipelineDefinition;
  readonly state: PipelineState;
  /** Set while the state is `failed`. */
  readonly failure: PipelineFailure | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface PipelineVersion {
  readonly version: number;
  readonly definition: PipelineDefinition;
  readonly createdAt: Date;
}

export { migratePipelines } from './pipelines-schema.ts';

interface PipelineRow {
  id: string;
  name: string;
  version: number;
  definition: PipelineDefinition;
  state: PipelineState;
  failure: string | null;
  failed_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const fromRow = (r: PipelineRow): StoredPipeline => ({
  id: r.id, name: r.name, version: r.version, definition: r.definition, state: r.state,
  failure: r.failure === null ? null : { reason: r.failure, at: r.failed_at ?? r.updated_at },
  createdAt: r.created_at, updatedAt: r.updated_at,
});
const COLUMNS = 'id, name, version, definition, state, failure, failed_at, created_at, updated_at';

/** `Order totals (EU)` → `order-totals-eu`; empty when the name has no letters or digits. */
export const slugOf = (name: string): string =>
  name.normalize('NFKD').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64).replace(/-+$/, '');

/**
 * Stores a new pipeline as version 1, stopped. The id is the slug of its name, readable in URLs and logs; when that
 * is taken (or empty) a uuidv7, so creating never fails on a name clash.
 */
export async function createPipeline(sql: Sql, schema: string, definition: PipelineDefinition, { id }: { id?: string } = {}): Promise<StoredPipeline> {
  const s = checked(schema);
  const candidates = id ? [id] : [slugOf(definition.name), uuidv7()].filter(Boolean);
  for (const candidate of candidates) {
    const row = await sql.begin(async (tx) => {
      const [inserted] = await tx.unsafe<PipelineRow[]>(
        `insert into ${s}.pipelines (id, name, version, definition) values ($1, $2, 1, $3) on conflict (id) do nothing returning ${COLUMNS}`,
        [candidate, definition.name, definition as never],
      );
      if (inserted) await tx.unsafe(`insert into ${s}.pipeline_versions (id, version, definition) values ($1, 1, $2)`, [candidate, definition as never]);
      return inserted;
    });
    if (row) return fromRow(row);
  }
  throw new PipelineExists(candidates[0] ?? '');
}

/** An explicit id that is already in use. */
export class PipelineExists extends Error {
  override readonly name = 'PipelineExists';
  constructor(readonly id: string) {
    super(`a pipeline with id ${JSON.stringify(id)} already exists`);
  }
}

export async function getPipeline(sql: Sql, schema: string, id: string): Promise<StoredPipeline | null> {
  const [row] = await sql.unsafe<PipelineRow[]>(`select ${COLUMNS} from ${checked(schema)}.pipelines where id = $1`, [id]);
  return row ? fromRow(row) : null;
}

/** Oldest first, so a list stays in the same order while pipelines are edited. */
export async function listPipelines(sql: Sql, schema: string): Promise<StoredPipeline[]> {
  const rows = await sql.unsafe<PipelineRow[]>(`select ${COLUMNS} from ${checked(schema)}.pipelines order by created_at, id`);
  return rows.map(fromRow);
}

/** Replaces the definition with a new version; earlier versions stay in pipeline_versions. Null for an unknown id. */
export async function updatePipeline(sql: Sql, schema: string, id: string, definition: PipelineDefinition): Promise<StoredPipeline | null> {
  const s = checked(schema);
  return sql.begin(async (tx) => {
    const [row] = await tx.unsafe<PipelineRow[]>(
      `update ${s}.pipelines set version = version + 1, name = $2, definition = $3, updated_at = now() where id = $1 returning ${COLUMNS}`,
      [id, definition.name, definition as never],
    );
    if (!row) return null;
    await tx.unsafe(`insert into ${s}.pipeline_versions (id, version, definition) values ($1, $2, $3)`, [id, row.version, definition as never]);
    return fromRow(row);
  });
}

/** Removes the pipeline and its history; false when there was none. Its window results are the runtime's to expire. */
export async function deletePipeline(sql: Sql, schema: string, id: string): Promise<boolean> {
  const rows = await sql.unsafe(`delete from ${checked(schema)}.pipelines where id = $1 returning id`, [id]);
  return rows.length > 0;
}

/** Starting a pipeline while `max` are already running. */
export class TooManyRunning extends Error {
  override readonly name = 'TooManyRunning';
  constructor(readonly max: number) {
    super(`${max} pipelines are already running; stop one first`);
  }
}

/**
 * Sets the state. With `maxRunning`, starting a pipeline that is not running while that many are throws
 * TooManyRunning; the count and the update run under one transaction-scoped advisory lock per schema, so two
 * concurrent starts cannot both take the last place.
 */
export async function setPipelineState(sql: Sql, schema: string, id: string, state: SettableState, { maxRunning }: { maxRunning?: number } = {}): Promise<StoredPipeline | null> {
  const s = checked(schema);
  return sql.begin(async (tx) => {
    if (state === 'running' && maxRunning !== undefined) {
      await tx.unsafe(`select pg_advisory_xact_lock(hashtext($1))`, [`${s}.pipelines.running`]);
      const [row] = await tx.unsafe<Array<{ others: number }>>(`select count(*)::int as others from ${s}.pipelines where state = 'running' and id <> $1`, [id]);
      const [self] = await tx.unsafe<Array<{ state: PipelineState }>>(`select state from ${s}.pipelines where id = $1`, [id]);
      if (self && self.state !== 'running' && (row?.others ?? 0) >= maxRunning) throw new TooManyRunning(maxRunning);
    }
    const [updated] = await tx.unsafe<PipelineRow[]>(
      // updated_at moves only on a real change, so starting a running pipeline is a no-op; a change clears a failure.
      `update ${s}.pipelines set state = $2, updated_at = case when state = $2 then updated_at else now() end,
         failure = case when state = $2 then failure end, failed_at = case when state = $2 then failed_at end
       where id = $1 returning ${COLUMNS}`,
      [id, state],
    );
    return updated ? fromRow(updated) : null;
  });
}

/**
 * Marks a running pipeline failed with `reason`, so the workers stop running it until an admin starts it again. Only
 * the version that failed, and only while it is still running: a failure seen by a second worker, or reported after
 * an admin stopped or edited the pipeline, changes nothing. Null when nothing changed.
 */
export async function failPipeline(sql: Sql, schema: string, { id, version, reason }: { id: string; version: number; reason: string }): Promise<StoredPipeline | null> {
  const [row] = await sql.unsafe<PipelineRow[]>(
    `update ${checked(schema)}.pipelines set state = 'failed', failure = $3, failed_at = now(), updated_at = now()
     where id = $1 and version = $2 and state = 'running' returning ${COLUMNS}`,
    [id, version, reason],
  );
  return row ? fromRow(row) : null;
}

/** Newest first. */
export async function listPipelineVersions(sql: Sql, schema: string, id: string): Promise<PipelineVersion[]> {
  const rows = await sql.unsafe<Array<{ version: number; definition: PipelineDefinition; created_at: Date }>>(
    `select version, definition, created_at from ${checked(schema)}.pipeline_versions where id = $1 order by version desc`,
    [id],
  );
  return rows.map((r) => ({ version: r.version, definition: r.definition, createdAt: r.created_at }));
}

/** What the workers run: every pipeline in state running, at its current version. */
export async function listRunningPipelines(sql: Sql, schema: string): Promise<Array<{ id: string; version: number; definition: PipelineDefinition }>> {
  return sql.unsafe<Array<{ id: string; version: number; definition: PipelineDefinition }>>(
    `select id, version, definition from ${checked(schema)}.pipelines where state = 'running' order by id`,
  );
}

/** The entries of one lookup table for the given keys; keys without an entry are absent from the map. */
export async function lookupEntries(sql: Sql, schema: string, table: string, keys: string[]): Promise<Map<string, JsonObject>> {
  if (keys.length === 0) return new Map();
  const rows = await sql.unsafe<Array<{ key: string; value: JsonObject }>>(
    `select key, value from ${checked(schema)}.lookup_entries where table_name = $1 and key = any($2)`,
    [table, [...new Set(keys)]],
  );
  return new Map(rows.map((r) => [r.key, r.value]));
}

/** Inserts or replaces entries (key → object) of one lookup table in one statement; returns how many were written. */
export async function putLookupEntries(sql: Sql, schema: string, table: string, entries: Record<string, JsonObject>): Promise<number> {
  const keys = Object.keys(entries);
  if (keys.length === 0) return 0;
  const rows = await sql.unsafe(
    `insert into ${checked(schema)}.lookup_entries (table_name, key, value)
     select $1, e.key, e.value from jsonb_each($2::jsonb) as e
     on conflict (table_name, key) do update set value = excluded.value, updated_at = now() returning key`,
    [table, entries as never],
  );
  return rows.length;
}
