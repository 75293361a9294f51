import type { Sql } from 'postgres';
import { runMigrations, type Migration } from './migrate.ts';

/** The pipeline tables (shared/stores/pipelines.ts): versioned, idempotent migrations under an advisory lock. */

// Its own bookkeeping table: the Postgres sink's `schema_migrations` may live in the same schema and already uses
// versions 1 and 2 for other tables.
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'create_pipelines',
    statements: (s) => [
      `create table if not exists ${s}.pipelines (
        id text primary key,
        name text not null,
        version integer not null,
        definition jsonb not null,
        state text not null default 'stopped' check (state in ('running', 'stopped')),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )`,
      `create table if not exists ${s}.pipeline_versions (
        id text not null references ${s}.pipelines (id) on delete cascade,
        version integer not null,
        definition jsonb not null,
        created_at timestamptz not null default now(),
        primary key (id, version)
      )`,
      `create table if not exists ${s}.lookup_entries (
        table_name text not null,
        key text not null,
        value jsonb not null,
        updated_at timestamptz not null default now(),
        primary key (table_name, key)
      )`,
    ],
  },
  {
    // A worker marks a pipeline failed when its run keeps failing (its sink topic refuses records, a step keeps
    // throwing): it stops running until an admin starts it again, and `failure` says why.
    version: 2,
    name: 'pipeline_failures',
    statements: (s) => [
      `alter table ${s}.pipelines drop constraint if exists pipelines_state_check`,
      `alter table ${s}.pipelines add constraint pipelines_state_check check (state in ('running', 'stopped', 'failed'))`,
      `alter table ${s}.pipelines add column if not exists failure text`,
      `alter table ${s}.pipelines add column if not exists failed_at timestamptz`,
    ],
  },
];

/** Versioned and idempotent (shared/stores/migrate.ts); returns the versions applied (none the second time). */
export function migratePipelines(sql: Sql, schema: string): Promise<number[]> {
  return runMigrations(sql, { schema, table: 'pipeline_migrations', lockName: 'pipelines', migrations: MIGRATIONS });
}
