import * as v from 'valibot';
import { defineConfig, positiveInt, setting } from '../../../shared/config/index.ts';

// Index and alias names must be lowercase and may not start with `-`, `_` or `+`; `*` and `,` would turn the
// template's index pattern into something else, so only this safe subset is accepted.
const indexName = v.pipe(
  v.string(),
  v.regex(/^[a-z0-9][a-z0-9_.-]{0,199}$/, 'expected lowercase letters, digits, _ . - (not starting with _ . -)'),
);

// Capped at ten years either way: the window is what bounds how many daily indices client timestamps can create.
const windowDays = v.pipe(v.number('expected a number'), v.integer('expected an integer'), v.minValue(0), v.maxValue(3660));

export const elasticsearchConfig = defineConfig('workers.elasticsearch', 'SINK_ES', {
  indexPrefix: setting(
    indexName,
    'events',
    'Daily indices are named `<prefix>-YYYY.MM.DD` by the event timestamp (UTC); events dated outside the daily window go to `<prefix>-other`.',
  ),
  dailyIndexDaysBack: setting(
    windowDays,
    30,
    'Events dated up to this many days before the day the edge received them get a daily index; older ones go to the one `<prefix>-other` index (still behind the alias, timestamp unchanged), so client timestamps cannot create an index per day they name.',
  ),
  dailyIndexDaysAhead: setting(
    windowDays,
    1,
    'Events dated up to this many days after the day the edge received them get a daily index; later ones go to `<prefix>-other`.',
  ),
  alias: setting(indexName, 'events', 'Alias over every `<prefix>-*` index, set by the index template; query through it.'),
  numberOfShards: setting(positiveInt, 1, 'Primary shards per daily index (index template setting).'),
  numberOfReplicas: setting(v.pipe(v.number(), v.integer(), v.minValue(0)), 0, 'Replicas per daily index (index template setting).'),
  refreshInterval: setting(
    v.pipe(v.string(), v.regex(/^(-1|\d+(ms|s|m|h))$/, 'expected a time value such as 1s, 500ms or -1')),
    '1s',
    'How soon indexed events become searchable (index.refresh_interval); longer is cheaper under load.',
  ),
  requestTimeoutMs: setting(positiveInt, 30_000, 'Per-request timeout; a bulk request that takes longer is retried as a whole.'),
  maxBulkBytes: setting(
    positiveInt,
    5_242_880,
    'Bulk requests are split to stay under this many bytes; a single event larger than this is dead-lettered (document_too_large).',
  ),
  installTemplate: setting(v.boolean(), true, 'Install the index template before the first write (off when operators manage it).'),
});

export type ElasticsearchConfig = v.InferOutput<typeof elasticsearchConfig.schema>;
