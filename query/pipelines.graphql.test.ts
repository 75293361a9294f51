import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import postgres from 'postgres';
import { failPipeline, listRunningPipelines, putLookupEntries } from '../shared/stores/pipelines.ts';
import { migrateWindows } from '../shared/stores/windows.ts';
import { createQueryApp, type QueryApp } from './app.ts';
import { BAD_WINDOW, insertWindows, order, ORDER_TOTALS, tableCounts } from './pipelines.fixtures.ts';
import { connections, createRun, graphql } from './testing.ts';

// The pipeline queries and mutations through yoga.fetch, over this run's own Postgres schema.
const run = createRun();
const sql = postgres(connections.databaseUrl, { max: 2, onnotice: () => {} });
let app: QueryApp;
const gql = (query: string, variables: Record<string, unknown> = {}) => graphql(run.as('admin', app.gateway.yoga.fetch), query, variables);
const FIELDS = 'id name version state definition versions { version }';

beforeAll(async () => {
  app = createQueryApp({ config: run.config, auth: run.auth, dlq: false });
});
afterAll(async () => {
  await app?.close();
  await sql.end();
  await run.cleanup();
});

describe('pipeline GraphQL API', () => {
  test('createPipeline stores a STOPPED version 1; pipelines and pipeline(id) read it back', async () => {
    const created = await gql(`mutation($d: JSON!) { createPipeline(definition: $d) { ${FIELDS} } }`, { d: ORDER_TOTALS });
    expect(created.errors).toBeUndefined();
    expect(created.data?.createPipeline).toMatchObject({ id: 'order-totals', version: 1, state: 'STOPPED', versions: [{ version: 1 }] });
    const read = await gql('{ pipelines { id } pipeline(id: "order-totals") { name definition } missing: pipeline(id: "nope") { id } }');
    expect(read.data).toMatchObject({ pipelines: [{ id: 'order-totals' }], pipeline: { name: 'Order totals' }, missing: null });
  });

  test('an invalid definition is BAD_USER_INPUT with the step index and field in extensions.path', async () => {
    for (const mutation of ['createPipeline(definition: $d) { id }', 'updatePipeline(id: "order-totals", definition: $d) { id }']) {
      const { data, errors } = await gql(`mutation($d: JSON!) { ${mutation} }`, { d: BAD_WINDOW });
      expect(errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', path: 'steps.3.window.size', issue: 'invalid_value', argument: 'definition' });
      expect(errors?.[0]?.message).toStartWith('steps.3.window.size:');
      expect(Object.values(data ?? {})).toEqual([null]);
    }
  });

  test('updatePipeline makes version 2 and keeps version 1; an unknown id is NOT_FOUND', async () => {
    const updated = await gql(`mutation($d: JSON!) { updatePipeline(id: "order-totals", definition: $d) { ${FIELDS} } }`, { d: { ...ORDER_TOTALS, description: 'v2' } });
    expect(updated.data?.updatePipeline).toMatchObject({ version: 2, definition: { description: 'v2' }, versions: [{ version: 2 }, { version: 1 }] });
    const missing = await gql('mutation { startPipeline(id: "nope") { id } }');
    expect(missing.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', id: 'nope' });
  });

  test('startPipeline and stopPipeline switch what the workers run', async () => {
    expect((await gql('mutation { startPipeline(id: "order-totals") { state } }')).data).toEqual({ startPipeline: { state: 'RUNNING' } });
    expect((await listRunningPipelines(sql, run.pgSchema)).map((p) => p.id)).toEqual(['order-totals']);
    expect((await gql('mutation { stopPipeline(id: "order-totals") { state } }')).data).toEqual({ stopPipeline: { state: 'STOPPED' } });
    expect(await listRunningPipelines(sql, run.pgSchema)).toEqual([]);
  });

  test('a pipeline the workers failed is FAILED with its failure until startPipeline runs it again', async () => {
    const started = await gql('mutation { startPipeline(id: "order-totals") { version failure { reason } } }');
    expect(started.data?.startPipeline).toMatchObject({ failure: null });
    // What a worker does when the pipeline's runs keep failing past the retry time.
    await failPipeline(sql, run.pgSchema, { id: 'order-totals', version: started.data?.startPipeline.version, reason: 'retries_exhausted: _MSG_TIMED_OUT' });
    const read = await gql('{ pipelines { id state failure { reason at } } }');
    expect(read.errors).toBeUndefined();
    expect(read.data?.pipelines).toEqual([{ id: 'order-totals', state: 'FAILED', failure: { reason: 'retries_exhausted: _MSG_TIMED_OUT', at: expect.any(String) } }]);
    expect((await gql('mutation { startPipeline(id: "order-totals") { state failure { reason } } }')).data).toEqual({ startPipeline: { state: 'RUNNING', failure: null } });
    expect((await gql('mutation { stopPipeline(id: "order-totals") { state } }')).data).toEqual({ stopPipeline: { state: 'STOPPED' } });
  });

  test('dryRunPipeline traces every step per event, enriched from lookups, and writes nothing', async () => {
    await putLookupEntries(sql, run.pgSchema, 'regions', { eu: { name: 'Europe' } });
    const before = await tableCounts(sql, run.pgSchema);
    const { data, errors } = await gql(
      'mutation($e: [JSON!]!) { dryRunPipeline(id: "order-totals", events: $e) { dropped output error { path } trace { step type after note } } }',
      { e: [order(1, 10, 'eu'), order(2, 15, 'eu'), { type: 'x', data: 'nope' }] },
    );
    expect(errors).toBeUndefined();
    const [low, eu, bad] = data!.dryRunPipeline;
    expect(low).toMatchObject({ dropped: true, output: null, trace: [{ step: 0, type: 'filter', note: 'filtered out', after: null }] });
    expect(eu.trace.map((t: { type: string; note: string }) => `${t.type}: ${t.note}`)).toEqual([
      'filter: passed', 'enrich: joined', 'map: mapped', 'aggregate: windows [2026-03-01T12:00:00.000Z, 2026-03-01T12:01:00.000Z)',
    ]);
    expect(eu.output.data).toMatchObject({ region_info: { name: 'Europe' }, cents: 1500 });
    expect(bad).toMatchObject({ trace: [], error: { path: 'data' } });
    expect(await tableCounts(sql, run.pgSchema)).toEqual(before);
  });

  test('a dry run counts against the cost limit per event, and is capped by QUERY_DRY_RUN_MAX_EVENTS', async () => {
    const many = Array.from({ length: 101 }, (_, i) => order(i, 20, 'eu'));
    const capped = await gql('mutation($e: [JSON!]!) { dryRunPipeline(id: "order-totals", events: $e) { dropped } }', { e: many });
    expect(capped.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'events' });
    const costly = await gql('mutation($e: [JSON!]!) { dryRunPipeline(id: "order-totals", events: $e) { input event output dropped trace { step type before after note } } }', { e: many.slice(0, 100) });
    expect(costly.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COSTLY' });
  });

  test('windows reads the window results by pipeline, key and time; activity counts recently updated windows', async () => {
    await migrateWindows(sql, run.pgSchema);
    await insertWindows(sql, run.pgSchema, [
      { pipelineId: 'order-totals', key: 'eu', start: '2026-03-01T12:00:00Z', end: '2026-03-01T12:01:00Z', count: 2, sum: 40, avg: 20 },
      { pipelineId: 'order-totals', key: 'us', start: '2026-03-01T12:00:00Z', end: '2026-03-01T12:01:00Z', count: 1, sum: 13, avg: 13 },
      { pipelineId: 'order-totals', key: 'eu', start: '2026-03-01T12:01:00Z', end: '2026-03-01T12:02:00Z', count: 1, sum: 30, avg: 30 },
    ]);
    const { data } = await gql('{ windows(pipeline: "order-totals", key: "eu", to: "2026-03-01T12:01:00Z") { key start end count sum avg p95 closed } }');
    expect(data?.windows).toEqual([
      { key: 'eu', start: '2026-03-01T12:00:00.000Z', end: '2026-03-01T12:01:00.000Z', count: 2, sum: 40, avg: 20, p95: 20, closed: true },
    ]);
    expect((await gql('{ windows(pipeline: "order-totals", limit: 2) { key start } }')).data?.windows).toHaveLength(2);
    const bad = await gql('{ windows(pipeline: "order-totals", from: "2026-03-02T00:00:00Z", to: "2026-03-01T00:00:00Z") { key } }');
    expect(bad.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    const iso = (ms: number) => new Date(ms).toISOString();
    await insertWindows(sql, run.pgSchema, [{ pipelineId: 'order-totals', key: 'eu', start: iso(minute), end: iso(minute + 60_000), count: 7, sum: 70, avg: 10, closed: false }]);
    const activity = await gql('{ pipeline(id: "order-totals") { activity { sinceMinutes windowsUpdated eventsCounted lastUpdate } } }');
    expect(activity.data?.pipeline.activity).toMatchObject({ sinceMinutes: 5, windowsUpdated: 1, eventsCounted: 7 });
  });

  test('deletePipeline is true once, then false', async () => {
    expect((await gql('mutation { deletePipeline(id: "order-totals") }')).data).toEqual({ deletePipeline: true });
    expect((await gql('mutation { deletePipeline(id: "order-totals") }')).data).toEqual({ deletePipeline: false });
  });
});
