import * as v from 'valibot';
import { defineConfig, positiveInt, setting } from '../../../shared/config/index.ts';

// Keys are built by concatenation, so a prefix with spaces or braces would surprise readers (and `{` would turn part
// of it into a cluster hash tag); this subset is safe and still allows `el:` or `tenant.a:el:`.
const keyPrefix = v.pipe(v.string(), v.regex(/^[A-Za-z0-9._:-]{0,64}$/, 'expected letters, digits and . _ : - (at most 64)'));

const DAY = 86_400;

export const redisSinkConfig = defineConfig('workers.redis', 'SINK_REDIS', {
  keyPrefix: setting(keyPrefix, 'el:', 'Prefix of every key the sink writes (see shared/stores/redis-keys.ts for the layout).'),
  // Segment's look-back for messageId de-duplication is about 24 hours. Each remembered id costs ~130 bytes of Redis
  // memory (measured: 100,000 seen keys took 13 MB), so a week at 1,000 events/s was ~80 GB.
  seenTtlSeconds: setting(
    positiveInt,
    DAY,
    'How long an event id is remembered for de-duplication (~130 bytes of Redis memory each): it must outlast Kafka re-deliveries and client retries, or a later copy counts twice.',
  ),
  recentLength: setting(positiveInt, 100, 'How many of the most recently written events the recent list keeps.'),
  perSecondTtlSeconds: setting(positiveInt, 3_600, 'Per-second counters live this long after their second ends.'),
  perMinuteTtlSeconds: setting(
    positiveInt,
    2 * DAY,
    'Per-minute counters and per-minute latency histograms live this long after their minute ends.',
  ),
  latestTtlSeconds: setting(
    positiveInt,
    7 * DAY,
    'Each latest:<key> hash expires this long after its last update, so keys a client stopped sending (or invented once) do not stay forever.',
  ),
  maxTypes: setting(
    positiveInt,
    1_000,
    'Most distinct event types by_type counts on its own; events of further types are counted under `(other)`, so totals still add up and a client inventing types cannot grow the hash without bound.',
  ),
  maxSources: setting(
    positiveInt,
    1_000,
    'Most distinct sources by_source counts on its own; events from further sources are counted under `(other)`.',
  ),
  latestTypes: setting(
    v.array(v.pipe(v.string(), v.minLength(1))),
    ['sensor.reading'],
    'Event types whose `data.value` is kept as the latest value per event key (comma separated).',
  ),
  eventsPerScript: setting(
    positiveInt,
    500,
    'Events recorded per script call (all calls of a batch share one round trip); bigger is a little faster but holds Redis longer.',
  ),
  connectTimeoutMs: setting(positiveInt, 2_000, 'How long a (re)connect may take; writes wait at most this long for a connection.'),
  commandTimeoutMs: setting(positiveInt, 5_000, 'A batch that gets no answer within this time is retried (a hung server must not stall the worker).'),
});

export type RedisSinkConfig = v.InferOutput<typeof redisSinkConfig.schema>;
