import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createAdmin } from '../shared/kafka/index.ts';
import { createQueryApp, type QueryApp } from './app.ts';
import { order, ORDER_TOTALS } from './pipelines.fixtures.ts';
import { connections, createRun, graphql } from './testing.ts';

// The bounds on pipelines through the gateway's fetch handler (REST) and yoga.fetch (GraphQL), over this run's own
// Postgres schema, on the real broker. The gateway here allows 2 running pipelines and 20 dry-run step results.
const run = createRun();
const admin = createAdmin({ brokers: connections.kafkaBrokers });
const sinkTopic = `pipelines.test_${run.pgSchema}`;
let app: QueryApp;
const call = async (method: string, path: string, body?: unknown) => {
  // State-changing routes take JSON only (a cross-site form cannot send it), with or without a body.
  const init: RequestInit = { method, ...(method !== 'GET' && { headers: { 'content-type': 'application/json' } }), ...(body !== undefined && { body: JSON.stringify(body) }) };
  const response = await run.as('admin', app.fetch)(new Request(`http://gateway.test${path}`, init));
  return { status: response.status, body: (await response.json()) as any };
};
const gql = (query: string, variables: Record<string, unknown> = {}) => graphql(run.as('admin', app.gateway.yoga.fetch), query, variables);
const named = (name: string, extra: Record<string, unknown> = {}) => ({ ...ORDER_TOTALS, name, ...extra });
const topicExists = async (name: string) => (await admin.listTopics()).includes(name);

beforeAll(() => {
  app = createQueryApp({ config: { ...run.config, pipelineMaxRunning: 2, pipelineDryRunMaxItems: 20 }, auth: run.auth, dlq: false });
});
afterAll(async () => {
  await app?.close();
  await admin.deleteTopics([sinkTopic]).catch(() => undefined);
  await admin.close();
  await run.cleanup();
});

describe('pipeline sink topics', () => {
  test('a sinkTopic outside pipelines. is refused naming sinkTopic and the setting, in REST and GraphQL', async () => {
    for (const topic of ['events', 'events.dlq', 'orders.out']) {
      const { status, body } = await call('POST', '/api/pipelines', named('loop', { sinkTopic: topic }));
      expect([topic, status, body.error]).toMatchObject([topic, 400, { code: 'invalid_pipeline', path: 'sinkTopic', limit: 'PIPELINES_SINK_TOPIC_PREFIX' }]);
    }
    const { errors } = await gql('mutation($d: JSON!) { createPipeline(definition: $d) { id } }', { d: named('loop', { sinkTopic: 'events' }) });
    expect(errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', path: 'sinkTopic', limit: 'PIPELINES_SINK_TOPIC_PREFIX' });
    expect((await call('GET', '/api/pipelines')).body.count).toBe(0);
  });

  test('a sinkTopic inside the prefix is created on the broker when the pipeline is created', async () => {
    expect(await topicExists(sinkTopic)).toBe(false);
    const { status, body } = await call('POST', '/api/pipelines', named('with sink', { sinkTopic }));
    expect([status, body.definition.sinkTopic]).toEqual([201, sinkTopic]);
    expect(await topicExists(sinkTopic)).toBe(true);
    // Updating with the same topic finds it there and keeps it.
    expect((await call('PUT', `/api/pipelines/${body.id}`, named('with sink', { sinkTopic, description: 'v2' }))).status).toBe(200);
  });

  test('a sinkTopic the broker refuses to create is 422 sink_topic_refused, and nothing is stored', async () => {
    const strict = createQueryApp({ config: { ...run.config, pipelineSinkTopicReplication: 3 }, auth: run.auth, dlq: false });
    try {
      const response = await run.as('admin', strict.fetch)(new Request('http://gateway.test/api/pipelines', {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(named('refused', { sinkTopic: `${sinkTopic}.r3` })),
      }));
      expect(response.status).toBe(422);
      expect(((await response.json()) as any).error).toMatchObject({ code: 'sink_topic_refused', path: 'sinkTopic' });
      expect(await topicExists(`${sinkTopic}.r3`)).toBe(false);
      expect((await call('GET', '/api/pipelines/refused')).status).toBe(404);
    } finally {
      await strict.close();
    }
  });
});

describe('pipeline definitions the workers could not run safely', () => {
  test('one year of windows in 1 ms hops is refused at the window, naming the setting', async () => {
    const year = named('year', { steps: [{ type: 'aggregate', window: { kind: 'hopping', size: '365d', hop: '1ms' }, functions: ['count'] }] });
    expect((await call('POST', '/api/pipelines', year)).body.error).toMatchObject({ code: 'invalid_pipeline', path: 'steps.0.window.size', limit: 'PIPELINES_WINDOW_MAX_SIZE' });
    const dense = named('dense', { steps: [{ type: 'aggregate', window: { kind: 'hopping', size: '1d', hop: '1s' }, functions: ['count'] }] });
    const { errors } = await gql('mutation($d: JSON!) { createPipeline(definition: $d) { id } }', { d: dense });
    expect(errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', path: 'steps.0.window.hop', limit: 'PIPELINES_WINDOW_MAX_PER_EVENT' });
  });

  test('a lookahead regex is refused at its condition’s value', async () => {
    const look = named('look', { steps: [ORDER_TOTALS.steps[0], { type: 'filter', where: { field: 'key', op: 'regex', value: '^(?!test-)' } }] });
    expect((await call('POST', '/api/pipelines', look)).body.error).toMatchObject({ code: 'invalid_pipeline', path: 'steps.1.where.value', issue: 'invalid_value' });
  });
});

describe('running pipelines', () => {
  test('starting one past PIPELINES_MAX_RUNNING is 409 too_many_pipelines in REST and TOO_MANY_PIPELINES in GraphQL', async () => {
    const ids: string[] = [];
    for (const name of ['cap one', 'cap two', 'cap three']) ids.push((await call('POST', '/api/pipelines', named(name))).body.id);
    const [one, two, three] = ids as [string, string, string];
    expect((await call('POST', `/api/pipelines/${one}/start`)).status).toBe(200);
    expect((await call('POST', `/api/pipelines/${two}/start`)).status).toBe(200);
    expect(await call('POST', `/api/pipelines/${three}/start`)).toMatchObject({ status: 409, body: { error: { code: 'too_many_pipelines', limit: 'PIPELINES_MAX_RUNNING', max: 2 } } });
    const refused = await gql(`mutation { startPipeline(id: "${three}") { state } }`);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'TOO_MANY_PIPELINES', limit: 'PIPELINES_MAX_RUNNING', max: 2 });
    // Starting one that runs already takes no new place; stopping one frees a place.
    expect((await call('POST', `/api/pipelines/${two}/start`)).status).toBe(200);
    expect((await gql(`mutation { stopPipeline(id: "${one}") { state } }`)).data).toEqual({ stopPipeline: { state: 'STOPPED' } });
    expect((await gql(`mutation { startPipeline(id: "${three}") { state } }`)).data).toEqual({ startPipeline: { state: 'RUNNING' } });
  });

  test('concurrent starts cannot take more places than there are', async () => {
    await Promise.all(['cap two', 'cap three'].map(async (name) => call('POST', `/api/pipelines/${name.replace(' ', '-')}/stop`)));
    const ids: string[] = [];
    for (const name of ['race a', 'race b', 'race c', 'race d']) ids.push((await call('POST', '/api/pipelines', named(name))).body.id);
    const answers = await Promise.all(ids.map((id) => call('POST', `/api/pipelines/${id}/start`)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 409, 409]);
  });
});

describe('dry-run budget', () => {
  test('a dry run within the budget answers; past it, 413 dry_run_too_large naming the setting, in REST and GraphQL', async () => {
    const id = (await call('POST', '/api/pipelines', named('dry'))).body.id;
    // Three events through four steps are 12 step results (and one window each): within 20.
    expect((await call('POST', `/api/pipelines/${id}/dry-run`, { events: [order(1, 20, 'eu'), order(2, 30, 'eu'), order(3, 40, 'us')] })).status).toBe(200);
    const many = Array.from({ length: 10 }, (_, i) => order(i, 20, 'eu'));
    expect(await call('POST', `/api/pipelines/${id}/dry-run`, { events: many })).toMatchObject({
      status: 413, body: { error: { code: 'dry_run_too_large', limit: 'PIPELINES_DRY_RUN_MAX_ITEMS', max: 20 } },
    });
    const { status, errors } = await gql(`mutation($e: [JSON!]!) { dryRunPipeline(id: "${id}", events: $e) { dropped } }`, { e: many });
    expect(status).toBe(413);
    expect(errors?.[0]?.extensions).toMatchObject({ code: 'DRY_RUN_TOO_LARGE', limit: 'PIPELINES_DRY_RUN_MAX_ITEMS' });
  });
});
