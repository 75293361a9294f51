import type { Sql, TransactionSql } from 'postgres';

/** The pipeline tables (shared/stores/pipelines.ts): versioned, idempotent migrations under an advisory lock. */

// Its own bookkeeping table: the Postgres sink's `schema_migrations` may live in the same schema and already uses
// versions 1 and 2 for other tables.
const MIGRATIONS: ReadonlyArray<{ version: number; name: string; statements: (s: string) => string[] }> = [
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
];

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** The schema is spliced into SQL (identifiers take no parameters), so it is checked here too. */
export function checked(schema: string): string {
  if (!IDENTIFIER.test(schema)) throw new Error(`invalid schema name ${JSON.stringify(schema)}`);
  return schema;
}

/**
 * Applies pending migrations in one transaction under an advisory lock, so gateways and workers starting together
 * do not race; returns the versions applied (none the second time).
 */
export async function migratePipelines(sql: Sql, schema: string): Promise<number[]> {
  const s = checked(schema);
  return sql.begin(async (tx: TransactionSql) => {
    await tx`select pg_advisory_xact_lock(hashtext(${`event_lens.pipelines.${s}`}))`;
    await tx.unsafe(`create schema if not exists ${s}`);
    await tx.unsafe(`create table if not exists ${s}.pipeline_migrations (
      version integer primary key, name text not null, applied_at timestamptz not null default now())`);
    const done = new Set((await tx.unsafe<Array<{ version: number }>>(`select version from ${s}.pipeline_migrations`)).map((r) => r.version));
    const applied: number[] = [];
    for (const migration of MIGRATIONS.filter((m) => !done.has(m.version))) {
      for (const statement of migration.statements(s)) await tx.unsafe(statement);
      await tx.unsafe(`insert into ${s}.pipeline_migrations (version, name) values ($1, $2)`, [migration.version, migration.name]);
      applied.push(migration.version);
    }
    return applied;
  });
}
