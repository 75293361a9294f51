import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { PipelineDefinition } from '../../shared/contracts/index.ts';
import { readAll } from '../../shared/kafka/testing.ts';
import { getPipeline, setPipelineState } from '../../shared/stores/pipelines.ts';
import { eventTopic, type EventTopic } from '../../shared/testing/events.ts';
import { createTopic } from '../../shared/testing/topics.ts';
import { readable, waitFor } from '../../shared/testing/wait.ts';
import { newRun, storeReaders, uncommitted } from '../testing.ts';
import type { Worker } from '../worker.ts';
import { pipelineWorker, startPipeline } from './testing.ts';

// Real Kafka, Postgres, Redis and Elasticsearch; everything lives under this run's unique names. Three pipelines read
// the same orders: one whose sink topic is deleted, one whose lookup table disappears, and one that stays healthy.
const run = newRun('failing');
const stores = storeReaders();
const logs: string[] = [];
const RETRY_TIMEOUT_MS = 3000;
const refusing = { id: `refusing-${run.id}`, topic: `pipelines.refusing_${run.id}` };
const healthy = { id: `healthy-${run.id}`, topic: `pipelines.healthy_${run.id}` };
const enriching = { id: `enriching-${run.id}` };
let source: EventTopic;
let worker: Worker;
let published = 0;

const mapped = (name: string, topic: string, sinkTopic?: string): PipelineDefinition => ({
  name: `${name} ${run.id}`,
  source: { topic, types: ['order.created'] },
  ...(sinkTopic && { sinkTopic }),
  steps: [{ type: 'map', computed: { 'data.cents': 'data.amount * 100' } }],
});

beforeAll(async () => {
  source = await eventTopic({ what: 'pipelines_failing', partitions: 1 });
  await createTopic(source.admin, run.dlqTopic, 1);
  await createTopic(source.admin, refusing.topic, 1);
  await createTopic(source.admin, healthy.topic, 1);
  await startPipeline(stores, run, refusing.id, mapped('refusing', source.topic, refusing.topic));
  await startPipeline(stores, run, healthy.id, mapped('healthy', source.topic, healthy.topic));
  await startPipeline(stores, run, enriching.id, {
    name: `enriching ${run.id}`,
    source: { topic: source.topic, types: ['order.created'] },
    steps: [{ type: 'enrich', table: 'customers', on: 'key', into: 'data.customer', cacheTtlMs: 30_000 }],
  });
  worker = pipelineWorker(run, source.topic, (l) => logs.push(l), { retryTimeoutMs: RETRY_TIMEOUT_MS });
});

afterAll(async () => {
  await worker?.stop();
  await source?.admin.deleteTopics([run.dlqTopic, refusing.topic, healthy.topic]).catch(() => undefined);
  await source?.close();
  await stores.cleanup(run);
  await stores.close();
});

async function orders(keys: readonly string[]): Promise<void> {
  const answer = await source.publish(keys.map((key, i) => ({ type: 'order.created', key, data: { amount: i + 1 } })));
  expect(answer.refused).toEqual([]);
  published += keys.length;
}

/** Every published event committed by the worker and written to Elasticsearch and Postgres. */
async function allCommittedAndStored(what: string): Promise<void> {
  await waitFor(readable(async () => (await uncommitted(source.admin, run.groupId, source.topic, 1)) === 0), 60_000, `${what}: the batches committed`);
  await waitFor(readable(async () => (await stores.pgCount(run)) === published && (await stores.esCount(run)) === published), 30_000, `${what}: the events in the stores`);
}

const failedCount = (id: string) => worker.metrics.pipelineEvents.get({ pipeline: id, outcome: 'failed' }) ?? 0;
const failureLines = (id: string) => logs.filter((l) => l.startsWith(`pipeline ${id}@1 failed`));

describe('a pipeline whose run keeps failing', () => {
  test('once its sink topic is deleted, it is failed with the reason while the worker commits, the stores get the events and the other pipelines run', async () => {
    await orders(['k1', 'k2', 'k3']);
    expect((await readAll(refusing.topic, 3)).length).toBe(3);
    await allCommittedAndStored('before the topic is deleted');

    await source.admin.deleteTopics([refusing.topic]);
    await waitFor(async () => !(await source.admin.metadata({ timeoutMs: 5000 })).topics.some((t) => t.name === refusing.topic), 30_000, 'the topic to be gone');
    await orders(['k4', 'k5', 'k6', 'k7', 'k8']);
    await allCommittedAndStored('after the topic is deleted');
    expect((await readAll(healthy.topic, 8)).length).toBe(8);

    await waitFor(async () => (await getPipeline(stores.sql, run.pgSchema, refusing.id))?.state === 'failed', 30_000, 'the pipeline to be recorded as failed');
    const failed = await getPipeline(stores.sql, run.pgSchema, refusing.id);
    expect(failed?.failure?.reason).toMatch(/^sink_topic_refused: (_UNKNOWN_PARTITION|_UNKNOWN_TOPIC|UNKNOWN_TOPIC_OR_PART)$/);
    expect((await getPipeline(stores.sql, run.pgSchema, healthy.id))?.state).toBe('running');
    expect((await getPipeline(stores.sql, run.pgSchema, enriching.id))?.state).toBe('running');
    expect(failedCount(refusing.id)).toBeGreaterThan(0);
    expect(failedCount(refusing.id)).toBeLessThanOrEqual(5);
    expect(failureLines(refusing.id)).toEqual([expect.stringContaining(`(${failed?.failure?.reason}): sink topic ${refusing.topic} refused`)]);
    // The broker's auto.create.topics.enable does not bring the topic back behind the pipeline's back.
    expect((await source.admin.metadata({ timeoutMs: 5000 })).topics.some((t) => t.name === refusing.topic)).toBe(false);
  }, 120_000);

  test('started again once its topic exists again, it runs again', async () => {
    await createTopic(source.admin, refusing.topic, 1);
    expect(await setPipelineState(stores.sql, run.pgSchema, refusing.id, 'running')).toMatchObject({ state: 'running', failure: null });
    const starts = () => logs.filter((l) => l.startsWith('pipelines started:') && l.includes(`${refusing.id}@1`)).length;
    await waitFor(() => starts() === 2, 20_000, 'the worker to run the pipeline again');
    await orders(['k9', 'k10']);
    const out = (await readAll(refusing.topic, 2)).map((m) => JSON.parse(new TextDecoder().decode(m.value!)));
    expect(out.map((e) => [e.key, e.data.cents])).toEqual([['k9', 100], ['k10', 200]]);
    await allCommittedAndStored('after the restart');
    expect((await getPipeline(stores.sql, run.pgSchema, refusing.id))?.state).toBe('running');
  }, 120_000);

  test('a step that keeps failing holds the batch only until the retry time is up; then that pipeline is failed and the batch moves on', async () => {
    await stores.sql.unsafe(`alter table ${run.pgSchema}.lookup_entries rename to lookup_entries_away`);
    try {
      await orders(['new-1', 'new-2']);
      await waitFor(async () => (await getPipeline(stores.sql, run.pgSchema, enriching.id))?.state === 'failed', 60_000, 'the pipeline to be recorded as failed');
      await allCommittedAndStored('after the lookup table went away');
    } finally {
      await stores.sql.unsafe(`alter table ${run.pgSchema}.lookup_entries_away rename to lookup_entries`);
    }
    const failure = (await getPipeline(stores.sql, run.pgSchema, enriching.id))?.failure;
    expect(failure?.reason).toStartWith('retries_exhausted: ');
    expect(failure?.reason).toContain('lookup_entries');
    expect(failedCount(enriching.id)).toBe(2);
    expect(failureLines(enriching.id)).toHaveLength(1);
    // It was retried first: a transient cause gets the whole retry time, not one attempt.
    expect(logs.some((l) => l.startsWith(`pipeline ${enriching.id}@1:`) && l.includes('retrying (attempt 1)'))).toBe(true);
    expect((await getPipeline(stores.sql, run.pgSchema, refusing.id))?.state).toBe('running');
  }, 120_000);
});
