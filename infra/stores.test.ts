import { afterAll, describe, expect, test } from 'bun:test';
import Redis from 'ioredis';
import postgres from 'postgres';
import { connectionsConfig } from '../shared/config/connections.ts';
import { loadConfig } from '../shared/config/index.ts';

// The stack's Postgres and Redis are shared with whatever else runs on the machine: every test uses its own schema
// and key prefix and removes them afterwards.
const conn = loadConfig(connectionsConfig);
const suffix = `${process.pid}_${Math.random().toString(36).slice(2, 8)}`;

describe('the stack serves Postgres and Redis', () => {
  const sql = postgres(conn.databaseUrl, { max: 2, onnotice: () => {} });
  const redis = new Redis(conn.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  afterAll(async () => {
    await sql.unsafe(`drop schema if exists stack_test_${suffix} cascade`);
    await sql.end();
    await redis.quit();
  });

  test('a row written to Postgres is read back with its jsonb intact', async () => {
    const schema = `stack_test_${suffix}`;
    await sql.unsafe(`create schema ${schema}`);
    await sql.unsafe(`create table ${schema}.events (id text primary key, data jsonb not null)`);
    await sql`insert into ${sql(schema)}.events values (${'e1'}, ${sql.json({ region: 'eu', amount: 12.5 })})`;
    const rows = await sql`select id, data from ${sql(schema)}.events`;
    expect([...rows]).toEqual([{ id: 'e1', data: { region: 'eu', amount: 12.5 } }]);
  });

  test('a key written to Redis is read back and expires with its TTL set', async () => {
    await redis.connect();
    const key = `stack_test:${suffix}:latest`;
    await redis.set(key, '21.5', 'EX', 30);
    expect(await redis.get(key)).toBe('21.5');
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(30);
    await redis.del(key);
    expect(await redis.exists(key)).toBe(0);
  });
});
