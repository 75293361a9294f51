import type { Sql, TransactionSql } from 'postgres';

/** One versioned step: its statements get the (checked) schema name, since identifiers take no parameters. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: (schema: string) => readonly string[];
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Schema names are spliced into DDL, so only plain lower-case identifiers are accepted. */
export function checkedSchema(schema: string): string {
  if (!IDENTIFIER.test(schema)) throw new Error(`invalid schema name ${JSON.stringify(schema)}`);
  return schema;
}

/**
 * Applies the pending migrations of one component in one transaction and returns the versions applied (none the
 * second time). Safe to call from every worker and gateway at start: the advisory lock makes the others wait, after
 * which they find nothing left to do. Each component keeps its own version table (`table`), so components evolve
 * their tables independently in a shared schema.
 */
export async function runMigrations(sql: Sql, { schema, table, lockName, migrations }: { schema: string; table: string; lockName: string; migrations: readonly Migration[] }): Promise<number[]> {
  const s = checkedSchema(schema);
  return sql.begin(async (tx: TransactionSql) => {
    await tx`select pg_advisory_xact_lock(hashtext(${`event_lens.${lockName}.${s}`}))`;
    await tx.unsafe(`create schema if not exists ${s}`);
    await tx.unsafe(`create table if not exists ${s}.${table} (
      version integer primary key, name text not null, applied_at timestamptz not null default now())`);
    const done = new Set((await tx.unsafe<Array<{ version: number }>>(`select version from ${s}.${table}`)).map((r) => r.version));
    const applied: number[] = [];
    for (const migration of migrations.filter((m) => !done.has(m.version))) {
      for (const statement of migration.statements(s)) await tx.unsafe(statement);
      await tx.unsafe(`insert into ${s}.${table} (version, name) values ($1, $2)`, [migration.version, migration.name]);
      applied.push(migration.version);
    }
    return applied;
  });
}
