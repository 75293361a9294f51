import { afterAll, describe, expect, test } from 'bun:test';
import postgres from 'postgres';
import { connectionsConfig } from '../config/connections.ts';
import { loadConfig } from '../config/index.ts';
import type { PipelineDefinition } from '../contracts/pipeline.ts';
import {
  createPipeline,
  deletePipeline,
  failPipeline,
  getPipeline,
  listPipelines,
  listPipelineVersions,
  listRunningPipelines,
  lookupEntries,
  migratePipelines,
  PipelineExists,
  putLookupEntries,
  setPipelineState,
  slugOf,
  TooManyRunning,
  updatePipeline,
} from './pipelines.ts';

// A schema of its own on the shared Postgres, dropped afterwards.
const schema = `test_pipelines_${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`;
const sql = postgres(loadConfig(connectionsConfig).databaseUrl, { max: 4, onnotice: () => {} });

const definition = (name: string, size = '1m'): PipelineDefinition => ({
  name,
  source: { topic: 'events', types: ['order.created'] },
  steps: [{ type: 'aggregate', window: { kind: 'tumbling', size, allowedLateness: '0s' }, field: 'data.amount', functions: ['count', 'sum'], groupBy: 'key' }],
});

afterAll(async () => {
  await sql.unsafe(`drop schema if exists ${schema} cascade`);
  await sql.end();
});

describe('pipeline store', () => {
  test('migrations apply once, also when several processes run them at the same time', async () => {
    const results = await Promise.all([migratePipelines(sql, schema), migratePipelines(sql, schema), migratePipelines(sql, schema)]);
    expect(results.flat()).toEqual([1, 2]);
    expect(await migratePipelines(sql, schema)).toEqual([]);
  });

  test('a created pipeline is stopped at version 1, with the slug of its name as id', async () => {
    const created = await createPipeline(sql, schema, definition('Order totals (EU)'));
    expect(created).toMatchObject({ id: 'order-totals-eu', name: 'Order totals (EU)', version: 1, state: 'stopped', definition: definition('Order totals (EU)') });
    expect(await getPipeline(sql, schema, 'order-totals-eu')).toEqual(created);
    expect(await getPipeline(sql, schema, 'nope')).toBeNull();
  });

  test('a second pipeline with the same name gets a uuidv7 id; an explicit id in use is refused', async () => {
    const again = await createPipeline(sql, schema, definition('Order totals (EU)'));
    expect(again.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    await expect(createPipeline(sql, schema, definition('x'), { id: 'order-totals-eu' })).rejects.toBeInstanceOf(PipelineExists);
    expect((await listPipelines(sql, schema)).map((p) => p.id)).toEqual(['order-totals-eu', again.id]);
    expect(await deletePipeline(sql, schema, again.id)).toBe(true);
  });

  test('an update makes a new version and keeps the earlier ones', async () => {
    const updated = await updatePipeline(sql, schema, 'order-totals-eu', definition('Order totals (EU)', '5m'));
    expect(updated).toMatchObject({ version: 2, definition: { steps: [{ window: { size: '5m' } }] } });
    const versions = await listPipelineVersions(sql, schema, 'order-totals-eu');
    expect(versions.map((v) => [v.version, (v.definition.steps[0] as { window: { size: string } }).window.size])).toEqual([[2, '5m'], [1, '1m']]);
    expect(await updatePipeline(sql, schema, 'nope', definition('x'))).toBeNull();
  });

  test('started pipelines are listed as running at their current version until stopped', async () => {
    expect(await listRunningPipelines(sql, schema)).toEqual([]);
    expect(await setPipelineState(sql, schema, 'order-totals-eu', 'running')).toMatchObject({ state: 'running' });
    expect(await listRunningPipelines(sql, schema)).toEqual([{ id: 'order-totals-eu', version: 2, definition: definition('Order totals (EU)', '5m') }]);
    await setPipelineState(sql, schema, 'order-totals-eu', 'stopped');
    expect(await listRunningPipelines(sql, schema)).toEqual([]);
    expect(await setPipelineState(sql, schema, 'nope', 'running')).toBeNull();
  });

  test('with maxRunning, starting one more than that many is refused; restarting a running one is not', async () => {
    for (const name of ['cap a', 'cap b']) await createPipeline(sql, schema, definition(name));
    expect(await setPipelineState(sql, schema, 'cap-a', 'running', { maxRunning: 1 })).toMatchObject({ state: 'running' });
    expect(await setPipelineState(sql, schema, 'cap-a', 'running', { maxRunning: 1 })).toMatchObject({ state: 'running' });
    await expect(setPipelineState(sql, schema, 'cap-b', 'running', { maxRunning: 1 })).rejects.toBeInstanceOf(TooManyRunning);
    expect(await getPipeline(sql, schema, 'cap-b')).toMatchObject({ state: 'stopped' });
    await setPipelineState(sql, schema, 'cap-a', 'stopped');
    expect(await setPipelineState(sql, schema, 'cap-b', 'running', { maxRunning: 1 })).toMatchObject({ state: 'running' });
    await setPipelineState(sql, schema, 'cap-b', 'stopped');
  });

  test('a failure reported for the running version marks it failed with the reason until an admin starts it again', async () => {
    await setPipelineState(sql, schema, 'order-totals-eu', 'running');
    const failed = await failPipeline(sql, schema, { id: 'order-totals-eu', version: 2, reason: 'sink_topic_refused: _UNKNOWN_PARTITION' });
    expect(failed).toMatchObject({ state: 'failed', failure: { reason: 'sink_topic_refused: _UNKNOWN_PARTITION', at: expect.any(Date) } });
    expect(await listRunningPipelines(sql, schema)).toEqual([]);
    expect(await getPipeline(sql, schema, 'order-totals-eu')).toEqual(failed!);
    // A second worker's report of the same failure, or one for a version since replaced, changes nothing.
    expect(await failPipeline(sql, schema, { id: 'order-totals-eu', version: 2, reason: 'retries_exhausted: _MSG_TIMED_OUT' })).toBeNull();
    expect(await setPipelineState(sql, schema, 'order-totals-eu', 'running')).toMatchObject({ state: 'running', failure: null });
    expect(await failPipeline(sql, schema, { id: 'order-totals-eu', version: 1, reason: 'stale' })).toBeNull();
    expect(await listRunningPipelines(sql, schema)).toMatchObject([{ id: 'order-totals-eu', version: 2 }]);
    await failPipeline(sql, schema, { id: 'order-totals-eu', version: 2, reason: 'sink_topic_refused: TOPIC_AUTHORIZATION_FAILED' });
    expect(await setPipelineState(sql, schema, 'order-totals-eu', 'stopped')).toMatchObject({ state: 'stopped', failure: null });
  });

  test('a deleted pipeline is gone with its history', async () => {
    expect(await deletePipeline(sql, schema, 'order-totals-eu')).toBe(true);
    expect(await deletePipeline(sql, schema, 'order-totals-eu')).toBe(false);
    expect(await listPipelineVersions(sql, schema, 'order-totals-eu')).toEqual([]);
  });

  test('lookup entries are upserted per table and read back by key', async () => {
    expect(await putLookupEntries(sql, schema, 'customers', { c1: { tier: 'gold' }, c2: { tier: 'silver', since: 2021 } })).toBe(2);
    await putLookupEntries(sql, schema, 'customers', { c1: { tier: 'platinum' } });
    await putLookupEntries(sql, schema, 'regions', { c1: { name: 'not a customer' } });
    const found = await lookupEntries(sql, schema, 'customers', ['c1', 'c2', 'c3', 'c1']);
    expect(Object.fromEntries(found)).toEqual({ c1: { tier: 'platinum' }, c2: { tier: 'silver', since: 2021 } });
    expect((await lookupEntries(sql, schema, 'customers', [])).size).toBe(0);
  });

  test('names become URL-safe slugs', () => {
    expect(slugOf('  Café — Totals!! ')).toBe('cafe-totals');
    expect(slugOf('***')).toBe('');
  });
});
