import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import postgres from 'postgres';
import { failPipeline, listRunningPipelines } from '../shared/stores/pipelines.ts';
import { migrateWindows } from '../shared/stores/windows.ts';
import { createQueryApp, type QueryApp } from './app.ts';
import { BAD_WINDOW, insertWindows, order, ORDER_TOTALS, tableCounts } from './pipelines.fixtures.ts';
import { connections, createRun, eventually } from './testing.ts';

// The pipeline routes through the gateway's fetch handler, over this run's own Postgres schema and dead-letter topic.
const run = createRun();
const sql = postgres(connections.databaseUrl, { max: 2, onnotice: () => {} });
let app: QueryApp;
const call = async (method: string, path: string, body?: unknown) => {
  // State-changing routes take JSON only (a cross-site form cannot send it), with or without a body.
  const init: RequestInit = { method, ...(method !== 'GET' && { headers: { 'content-type': 'application/json' } }), ...(body !== undefined && { body: JSON.stringify(body) }) };
  const response = await run.as('admin', app.fetch)(new Request(`http://gateway.test${path}`, init));
  return { status: response.status, body: (await response.json()) as any };
};

beforeAll(async () => {
  await run.deadLetter([
    { event: order(90, 50, 'eu'), stage: 'postgres', reason: 'write_failed' },
    { event: '{"not": "an event"', stage: 'decode', reason: 'invalid_json' },
    { event: order(91, 5, 'us'), stage: 'elasticsearch', reason: 'mapping_conflict' },
  ]);
  app = createQueryApp({ config: run.config, auth: run.auth });
  await eventually(() => (app.gateway.dlq?.consumed() ?? 0) >= 3, 'the dead-letter reader to catch up');
});
afterAll(async () => {
  await app?.close();
  await sql.end();
  await run.cleanup();
});

describe('pipeline REST routes', () => {
  test('POST /api/pipelines stores the definition as version 1, stopped, with the slug of its name as id', async () => {
    const { status, body } = await call('POST', '/api/pipelines', ORDER_TOTALS);
    expect(status).toBe(201);
    expect(body).toMatchObject({ id: 'order-totals', name: 'Order totals', version: 1, state: 'stopped', definition: { steps: ORDER_TOTALS.steps } });
    expect(body.definition.steps[3].groupBy).toBe('data.region');
  });

  test('a bad definition is 400 invalid_pipeline naming the step index and field, on create and update', async () => {
    for (const [method, path] of [['POST', '/api/pipelines'], ['PUT', '/api/pipelines/order-totals']] as const) {
      const { status, body } = await call(method, path, BAD_WINDOW);
      expect(status).toBe(400);
      expect(body.error).toMatchObject({ code: 'invalid_pipeline', path: 'steps.3.window.size', issue: 'invalid_value' });
      expect(body.error.message).toContain('steps.3.window.size');
    }
    expect((await call('POST', '/api/pipelines', { ...ORDER_TOTALS, steps: [] })).body.error.path).toBe('steps');
    expect((await call('POST', '/api/pipelines')).body.error.code).toBe('invalid_json');
  });

  test('PUT makes a new version and keeps the earlier ones; GET lists them', async () => {
    const renamed = { ...ORDER_TOTALS, description: 'v2' };
    expect((await call('PUT', '/api/pipelines/order-totals', renamed)).body).toMatchObject({ id: 'order-totals', version: 2, definition: { description: 'v2' } });
    const { body } = await call('GET', '/api/pipelines/order-totals');
    expect(body).toMatchObject({ version: 2, state: 'stopped' });
    expect(body.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    const listed = await call('GET', '/api/pipelines');
    expect(listed.body).toMatchObject({ count: 1, pipelines: [{ id: 'order-totals', version: 2 }] });
  });

  test('an unknown id is 404 not_found on every route', async () => {
    for (const [method, path, body] of [
      ['GET', '/api/pipelines/nope'], ['PUT', '/api/pipelines/nope', ORDER_TOTALS], ['DELETE', '/api/pipelines/nope'],
      ['POST', '/api/pipelines/nope/start'], ['POST', '/api/pipelines/nope/dry-run', { events: [] }], ['GET', '/api/pipelines/nope/window'],
    ] as const) {
      const answer = await call(method, path, body);
      expect([path, answer.status, answer.body.error.code]).toEqual([path, 404, 'not_found']);
    }
    expect((await call('PATCH', '/api/pipelines/order-totals')).status).toBe(405);
  });

  test('start and stop set the state the workers poll', async () => {
    expect((await call('POST', '/api/pipelines/order-totals/start')).body).toMatchObject({ state: 'running' });
    expect(await listRunningPipelines(sql, run.pgSchema)).toMatchObject([{ id: 'order-totals', version: 2 }]);
    expect((await call('POST', '/api/pipelines/order-totals/stop')).body).toMatchObject({ state: 'stopped' });
    expect(await listRunningPipelines(sql, run.pgSchema)).toEqual([]);
  });

  test('a pipeline the workers failed is listed as failed with the reason until start runs it again', async () => {
    const { version } = (await call('POST', '/api/pipelines/order-totals/start')).body;
    // What a worker does when the pipeline's sink topic refuses its records for good.
    await failPipeline(sql, run.pgSchema, { id: 'order-totals', version, reason: 'sink_topic_refused: UNKNOWN_TOPIC_OR_PART' });
    const failure = { reason: 'sink_topic_refused: UNKNOWN_TOPIC_OR_PART', failed_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) };
    expect((await call('GET', '/api/pipelines/order-totals')).body).toMatchObject({ state: 'failed', failure });
    expect((await call('GET', '/api/pipelines')).body.pipelines).toMatchObject([{ id: 'order-totals', state: 'failed', failure }]);
    expect(await listRunningPipelines(sql, run.pgSchema)).toEqual([]);
    expect((await call('POST', '/api/pipelines/order-totals/start')).body).toMatchObject({ state: 'running', failure: null });
    expect(await listRunningPipelines(sql, run.pgSchema)).toMatchObject([{ id: 'order-totals', version }]);
    expect((await call('POST', '/api/pipelines/order-totals/stop')).body).toMatchObject({ state: 'stopped', failure: null });
  });

  test('PUT /api/lookups/:table loads entries, and refuses values that are not objects', async () => {
    expect((await call('PUT', '/api/lookups/regions', { eu: { name: 'Europe', vat: 0.2 }, us: { name: 'United States' } })).body).toEqual({ table: 'regions', loaded: 2 });
    const bad = await call('PUT', '/api/lookups/regions', { eu: 'Europe' });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'invalid_parameter', path: 'eu' } } });
    expect((await call('PUT', '/api/lookups/Bad-Name', {})).status).toBe(400);
  });

  test('a dry run shows each step’s effect on each event, enriches from the lookups, and writes nothing', async () => {
    const before = await tableCounts(sql, run.pgSchema);
    const envelope = { type: 'order.created', key: 'o-4', timestamp: '2026-03-01T12:01:10Z', data: { amount: 30, region: 'apac' } };
    const { status, body } = await call('POST', '/api/pipelines/order-totals/dry-run', { events: [order(1, 10, 'eu'), order(2, 15, 'eu'), envelope, { type: '' }] });
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: 'order-totals', version: 2, count: 4, written: false });
    const [low, eu, apac, junk] = body.results;
    expect(low).toMatchObject({ dropped: true, output: null, trace: [{ step: 0, type: 'filter', note: 'filtered out', after: null }] });
    expect(eu.trace.map((t: { note: string }) => t.note)).toEqual(['passed', 'joined', 'mapped', 'windows [2026-03-01T12:00:00.000Z, 2026-03-01T12:01:00.000Z)']);
    expect(eu.trace[1].after.data.region_info).toEqual({ name: 'Europe', vat: 0.2 });
    expect(eu.trace[2].before.data.note).toBe('gift wrap');
    expect(eu.output.data).toEqual({ order_id: 'o-2', amount: 15, region: 'eu', region_info: { name: 'Europe', vat: 0.2 }, cents: 1500 });
    expect(apac.event).toMatchObject({ type: 'order.created', key: 'o-4', timestamp: '2026-03-01T12:01:10.000Z' });
    expect(apac.trace[1].note).toBe('no match');
    expect(apac.output.data.cents).toBe(3000);
    expect(junk).toMatchObject({ dropped: false, trace: [], error: { path: 'type' } });
    expect(await tableCounts(sql, run.pgSchema)).toEqual(before);
  });

  test('a dry run can take the last N dead letters, oldest first', async () => {
    const { body } = await call('POST', '/api/pipelines/order-totals/dry-run', { deadLetters: 2 });
    expect(body.count).toBe(2);
    const [notJson, small] = body.results;
    expect(notJson).toMatchObject({ input: '{"not": "an event"', error: { code: 'not_an_object' } });
    expect(small).toMatchObject({ event: { id: 'order-91' }, dropped: true });
    expect((await call('POST', '/api/pipelines/order-totals/dry-run', { deadLetters: 3 })).body.results[0].output.data.region_info.name).toBe('Europe');
    expect((await call('POST', '/api/pipelines/order-totals/dry-run', { deadLetters: 1000 })).body.error.code).toBe('invalid_parameter');
    expect((await call('POST', '/api/pipelines/order-totals/dry-run', { nope: 1 })).status).toBe(400);
  });

  test('GET /api/pipelines/:id/window reads the window results the workers keep, by key and time', async () => {
    await migrateWindows(sql, run.pgSchema);
    await insertWindows(sql, run.pgSchema, [
      { pipelineId: 'order-totals', key: 'eu', start: '2026-03-01T12:00:00Z', end: '2026-03-01T12:01:00Z', count: 2, sum: 40, avg: 20 },
      { pipelineId: 'order-totals', key: 'us', start: '2026-03-01T12:00:00Z', end: '2026-03-01T12:01:00Z', count: 1, sum: 13, avg: 13 },
      { pipelineId: 'order-totals', key: 'eu', start: '2026-03-01T12:01:00Z', end: '2026-03-01T12:02:00Z', count: 1, sum: 30, avg: 30, closed: false },
      { pipelineId: 'other', key: 'eu', start: '2026-03-01T12:00:00Z', end: '2026-03-01T12:01:00Z', count: 9, sum: 9, avg: 1 },
    ]);
    const all = await call('GET', '/api/pipelines/order-totals/window');
    expect(all.body.count).toBe(3);
    const eu = await call('GET', '/api/pipelines/order-totals/window?key=eu&from=2026-03-01T12:01:00Z');
    expect(eu.body.windows).toEqual([
      expect.objectContaining({ key: 'eu', window_start: '2026-03-01T12:01:00.000Z', window_end: '2026-03-01T12:02:00.000Z', count: 1, sum: 30, avg: 30, closed: false }),
    ]);
    expect((await call('GET', '/api/pipelines/order-totals/window?from=soon')).status).toBe(400);
  });

  test('DELETE removes the pipeline', async () => {
    expect((await call('DELETE', '/api/pipelines/order-totals')).body).toEqual({ id: 'order-totals', deleted: true });
    expect((await call('GET', '/api/pipelines/order-totals')).status).toBe(404);
  });
});
