/** Test helpers for pipelines: a worker running the pipelines of one run's schema and Redis prefix. */
import { eventTopic, type EventTopic } from '../../shared/testing/events.ts';
import { createTopic } from '../../shared/testing/topics.ts';
import { loadConfig } from '../../shared/config/index.ts';
import type { PipelineDefinition } from '../../shared/contracts/index.ts';
import { createPipeline, migratePipelines, setPipelineState } from '../../shared/stores/pipelines.ts';
import { readWindows } from '../../shared/stores/windows.ts';
import type { Run, StoreReaders } from '../testing.ts';
import { runConfig, runSinks } from '../testing.ts';
import type { WorkersConfig } from '../config.ts';
import { createWorker, type Worker } from '../worker.ts';
import { createPipelines, pipelinesConfig, type PipelinesConfig } from './index.ts';

/** A worker for `topic` whose pipelines live in the run's schema and whose live windows use the run's prefix. */
export function pipelineWorker(run: Run, topic: string, log: (line: string) => void, overrides: Partial<PipelinesConfig> = {}, workerOverrides: Partial<WorkersConfig> = {}): Worker {
  const config = loadConfig(pipelinesConfig, {}, { schema: run.pgSchema, refreshMs: 200, ...overrides });
  return createWorker({
    config: runConfig(run, topic, { batchSize: 200, ...workerOverrides }),
    sinks: runSinks(run),
    log,
    pipelines: ({ metrics }) => createPipelines({ metrics, backoff: { initialMs: 50, maxMs: 1000 }, config, redisPrefix: run.redisPrefix, log }),
  });
}

/** Stores the definition as a running pipeline of the run's schema (what the gateway's API does). */
export async function startPipeline(stores: StoreReaders, run: Run, id: string, definition: PipelineDefinition): Promise<void> {
  await migratePipelines(stores.sql, run.pgSchema);
  await createPipeline(stores.sql, run.pgSchema, definition, { id });
  await setPipelineState(stores.sql, run.pgSchema, id, 'running');
}

/** Window results as compact rows, for exact comparisons. */
export async function windowRows(stores: StoreReaders, run: Run, pipelineId: string) {
  const rows = await readWindows(stores.sql, run.pgSchema, { pipelineId }).catch(() => []);
  return rows.map((r) => ({ key: r.key, start: r.windowStart.toISOString(), count: r.count, sum: r.sum, max: r.max, p95: r.p95 }));
}

/**
 * A topic of its own (events in the edge's record format) with a running pipeline that sums data.amount per key in
 * 1-minute windows, for tests of when window items are flushed and committed. `committed()` is the sum of the group's
 * committed offsets on the topic.
 */
export async function windowedTopic(stores: StoreReaders, run: Run, { what, partitions, pipelineId }: { what: string; partitions: number; pipelineId: string }) {
  const source: EventTopic = await eventTopic({ what, partitions });
  await createTopic(source.admin, run.dlqTopic, 1);
  await startPipeline(stores, run, pipelineId, {
    name: `${what} ${run.id}`,
    source: { topic: source.topic },
    steps: [{ type: 'aggregate', window: { kind: 'tumbling', size: '1m', allowedLateness: '10s' }, field: 'data.amount', functions: ['count', 'sum'], groupBy: 'key' }],
  });
  return {
    source,
    async committed(): Promise<number> {
      const offsets = await source.admin.committed(run.groupId);
      return offsets.filter((o) => o.topic === source.topic && o.offset > 0n).reduce((sum, o) => sum + Number(o.offset), 0);
    },
    async close(): Promise<void> {
      await source.admin.deleteTopics([run.dlqTopic]).catch(() => undefined);
      await source.close();
      await stores.cleanup(run);
      await stores.close();
    },
  };
}
