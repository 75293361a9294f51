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
  maxPipelineLabels: setting(positiveInt, 50, 'Distinct pipeline ids used as metric labels; further pipelines are counted under `other`.'),
  // The same variables the gateway reads: a worker re-checks every definition it loads against them.
  ...pipelineLimitSettings,
});

export type PipelinesConfig = ConfigOf<typeof pipelinesConfig>;
