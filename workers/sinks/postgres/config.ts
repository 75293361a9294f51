import * as v from 'valibot';
import { defineConfig, positiveInt, setting, type ConfigOf } from '../../../shared/config/index.ts';

/** Unquoted-safe: the schema is spliced into DDL and dotted `schema.table` identifiers, so it must not need quoting. */
const schemaName = v.pipe(v.string(), v.regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a lower-case SQL identifier (a-z, 0-9, _)'));
const nonNegativeInt = v.pipe(v.number('expected a number'), v.integer('expected an integer'), v.minValue(0));

export const postgresSinkConfig = defineConfig('workers.postgres', 'SINK_PG', {
  schema: setting(schemaName, 'public', 'Schema holding the events, sensor_data and schema_migrations tables; created if missing.'),
  maxConnections: setting(positiveInt, 10, 'Connections in the pool.'),
  statementTimeoutMs: setting(positiveInt, 30_000, 'Server-side statement_timeout per connection; a timed-out write is retried.'),
  connectTimeoutSeconds: setting(positiveInt, 5, 'How long to wait for a connection before the batch is retried as postgres_unavailable.'),
  partitionsAhead: setting(nonNegativeInt, 3, 'Daily partitions to pre-create after today, so the first writes of a day do not wait for DDL.'),
  partitionWindowDays: setting(
    positiveInt,
    90,
    'Events dated more than this many days from today (either way) get no daily partition of their own and land in the DEFAULT partition, so bogus client timestamps cannot create a table for every day they name.',
  ),
  maxChunkBytes: setting(
    positiveInt,
    16 * 1024 * 1024,
    "Most event data one INSERT carries, counted as the length of the events' data JSON text (characters; at most 3 bytes each in UTF-8). A larger batch is written in several INSERTs, each with at least one event, so no single bound value nears Postgres's 1 GB field limit and the worker holds one chunk of text at a time.",
  ),
  migrate: setting(v.boolean(), true, 'Run pending migrations before the first write (they are idempotent and serialised by an advisory lock).'),
});

export type PostgresSinkConfig = ConfigOf<typeof postgresSinkConfig>;
