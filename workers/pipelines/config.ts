import * as v from 'valibot';
import { defineConfig, positiveInt, setting, type ConfigOf } from '../../shared/config/index.ts';
import { pipelineLimitSettings } from '../../shared/pipelines/limits.ts';

const schemaName = v.pipe(v.string(), v.regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a lower-case Postgres schema name'));

export const pipelinesConfig = defineConfig('workers.pipelines', 'PIPELINES', {
  enabled: setting(v.boolean(), true, 'Whether workers run the pipelines in state `running` over the events they consume.'),
  schema: setting(
    schemaName,
    'public',
    'Postgres schema of the pipeline definitions and lookup tables (the gateway writes there) and of the window state and results.',
  ),
  refreshMs: setting(positiveInt, 2_000, 'How often each worker re-reads the running pipelines: starting or stopping one takes effect within about this long.'),
  liveTtlSeconds: setting(positiveInt, 2 * 86_400, 'Window results in Redis expire this long after their last update (Postgres keeps them).'),
  flushMs: setting(
    positiveInt,
    1_000,
    'While a worker is behind, window state and results are written at most this often, each write covering every batch since the last; once it has caught up, at once. Batches are committed to Kafka only after the write that covers them.',
  ),
  flushMaxItems: setting(positiveInt, 50_000, 'Window items buffered before a write is forced sooner than PIPELINES_FLUSH_MS (bounds worker memory).'),
  // As long as the sinks' WORKERS_RETRY_TIMEOUT_MS by default: a broker restart or a leader moving passes well within
  // it, while a pipeline that keeps failing holds the worker's partitions for minutes, not forever.
  retryTimeoutMs: setting(
    positiveInt,
    300_000,
    "How long a pipeline's run over one batch is retried when it fails transiently (its sink topic not answering, a lookup unreadable); then the pipeline is marked failed with reason retries_exhausted and stops running until started again. A sink topic that refuses records for good (deleted, not authorized, record too large or invalid) fails it at once.",
  ),
  // The workers' producer learns of a topic created again about half a second after refusing a record for it; 5 s
  // covers an admin who creates the topic and starts the pipeline at once, and still fails a deleted topic's pipeline
  // long before retryTimeoutMs.
  sinkTopicMissingMs: setting(
    positiveInt,
    5_000,
    "How long a pipeline's sink topic may be missing from the cluster (deleted since the pipeline was saved) before the pipeline is marked failed with reason sink_topic_refused; the workers never create it again themselves.",
  ),
  maxPipelineLabels: setting(positiveInt, 50, 'Distinct pipeline ids used as metric labels; further pipelines are counted under `other`.'),
  // The same variables the gateway reads: a worker re-checks every definition it loads against them.
  ...pipelineLimitSettings,
});

export type PipelinesConfig = ConfigOf<typeof pipelinesConfig>;
