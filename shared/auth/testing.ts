import Redis from 'ioredis';
import postgres, { type Sql } from 'postgres';
import { connectionsConfig } from '../config/connections.ts';
import { loadConfig } from '../config/index.ts';
import { deleteKeys } from '../stores/redis-scan.ts';
import { authConfig, type AuthConfig } from './config.ts';
import { migrateKeys } from './store.ts';

/**
 * Fixtures for the auth tests: a Postgres schema and a Redis key prefix of their own on the shared servers, a
 * non-default hash key, and `close()` dropping all of it, so runs can repeat and overlap.
 */
export interface AuthFixture {
  readonly id: string;
  readonly sql: Sql;
  readonly redis: Redis;
  readonly config: AuthConfig;
  /** The settings as environment variables, for the keys CLI run as a child process. */
  readonly env: Record<string, string>;
  close(): Promise<void>;
}

export async function authFixture(what: string, overrides: Partial<AuthConfig> = {}): Promise<AuthFixture> {
  const id = `test_auth_${what}_${Date.now().toString(36)}${crypto.randomUUID().replaceAll('-', '').slice(0, 6)}`;
  const connections = loadConfig(connectionsConfig);
  const hashKey = `test-hash-key-${crypto.randomUUID()}`;
  const config = loadConfig(authConfig, {}, { hashKey, pgSchema: id, rateLimitPrefix: `${id}:`, ...overrides });
  const sql = postgres(connections.databaseUrl, { max: 4, onnotice: () => {} });
  const redis = new Redis(connections.redisUrl, { maxRetriesPerRequest: 1 });
  await migrateKeys(sql, id);
  return {
    id,
    sql,
    redis,
    config,
    env: { AUTH_HASH_KEY: hashKey, AUTH_PG_SCHEMA: id, DATABASE_URL: connections.databaseUrl },
    async close() {
      await sql.unsafe(`drop schema if exists ${id} cascade`);
      await sql.end();
      await deleteKeys(redis, `${id}:*`);
      await redis.quit();
    },
  };
}
