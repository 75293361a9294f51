import { describe, expect, test } from 'bun:test';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import postgres from 'postgres';
import { connectionsConfig } from '../shared/config/connections.ts';
import { loadConfig } from '../shared/config/index.ts';
import { createAdmin } from '../shared/kafka/index.ts';
import { isolatedPlatform } from './isolated-platform.ts';

// The fixture's promise to every platform test: a start that fails leaves nothing on the shared servers. The workers
// refuse a batch size of 0 at start-up, after the run's topics, key schema and stack home were made.
describe('an isolated platform whose start fails', () => {
  test('throws with the failing service\'s log and leaves no topic, key schema or stack home behind', async () => {
    const what = `failedstart_${crypto.randomUUID().slice(0, 8)}`;
    const ports = { edge: 18680, workers: 20070, query: 14600 };
    const error = await isolatedPlatform({ what, ports, env: { WORKERS_BATCH_SIZE: '0' } }).then(() => undefined, (e: unknown) => e);
    expect(String(error)).toMatch(/workers exited with \d+ during start-up/);

    const conn = loadConfig(connectionsConfig);
    const admin = createAdmin({ brokers: conn.kafkaBrokers });
    const topics = await admin.listTopics().finally(() => admin.close());
    expect(topics.filter((t) => t.startsWith(what))).toEqual([]);
    const sql = postgres(conn.databaseUrl, { max: 1, onnotice: () => {} });
    const schemas = await sql`select nspname from pg_namespace where nspname like ${`${what}%`}`.finally(() => sql.end());
    expect(schemas.map((s) => s.nspname)).toEqual([]);
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith(`event-lens-${what}-`))).toEqual([]);
  }, 120_000);
});
