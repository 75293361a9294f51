import postgres, { type Sql } from 'postgres';
import { connectionsConfig } from '../../../shared/config/connections.ts';
import { loadConfig } from '../../../shared/config/index.ts';
import type { Sink } from '../types.ts';
import { postgresSinkConfig, type PostgresSinkConfig } from './config.ts';
import { postgresSink } from './sink.ts';

export { postgresSinkConfig, type PostgresSinkConfig } from './config.ts';
export { migrate } from './migrations.ts';
export { outcomeOfError, POSTGRES_REASONS, type PostgresReason } from './retry.ts';
export { SENSOR_READING } from './sink.ts';

export interface PostgresSinkOptions {
  /** Connection URL; defaults to DATABASE_URL. */
  readonly url?: string;
  readonly config?: PostgresSinkConfig;
  /** Epoch ms; injectable so tests can pick which days count as "today". */
  readonly now?: () => number;
}

/** A pool configured from the sink's settings. Exported so `migrate` can run from a start-up script on its own. */
export function createPostgresClient({
  url = loadConfig(connectionsConfig).databaseUrl,
  config = loadConfig(postgresSinkConfig),
}: Pick<PostgresSinkOptions, 'url' | 'config'> = {}): Sql {
  return postgres(url, {
    max: config.maxConnections,
    connect_timeout: config.connectTimeoutSeconds,
    idle_timeout: 60,
    connection: { application_name: 'event-lens-postgres-sink', statement_timeout: config.statementTimeoutMs },
    // postgres.js prints every NOTICE by default, e.g. "relation already exists, skipping" from each IF NOT EXISTS.
    onnotice: () => {},
  });
}

/** The Postgres sink; owns its connection pool, which `close()` ends. */
export function createPostgresSink({
  url = loadConfig(connectionsConfig).databaseUrl,
  config = loadConfig(postgresSinkConfig),
  now = Date.now,
}: PostgresSinkOptions = {}): Sink {
  return postgresSink({ sql: createPostgresClient({ url, config }), config, now });
}
