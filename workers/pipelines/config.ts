import * as v from 'valibot';
import { defineConfig, positiveInt, setting, type ConfigOf } from '../../shared/config/index.ts';

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
  maxPipelineLabels: setting(positiveInt, 50, 'Distinct pipeline ids used as metric labels; further pipelines are counted under `other`.'),
});

export type PipelinesConfig = ConfigOf<typeof pipelinesConfig>;
