import * as v from 'valibot';
import { defineConfig, port, positiveInt, setting, type ConfigOf } from '../shared/config/index.ts';
import { pipelineLimitSettings } from '../shared/pipelines/limits.ts';

// Same safe subsets the sinks accept (workers/sinks/*/config.ts): the gateway must read exactly what they write.
const indexName = v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9_.-]{0,199}$/, 'expected lowercase letters, digits, _ . -'));
const schemaName = v.pipe(v.string(), v.regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a lower-case SQL identifier (a-z, 0-9, _)'));
const keyPrefix = v.pipe(v.string(), v.regex(/^[A-Za-z0-9._:-]{0,64}$/, 'expected letters, digits and . _ : - (at most 64)'));

export const queryConfig = defineConfig('query', 'QUERY', {
  port: setting(port, 4000, 'HTTP port of the gateway (GraphQL at /graphql, REST routes, /healthz, /readyz).'),
  hostname: setting(
    v.string(),
    '127.0.0.1',
    'Interface to listen on: loopback by default, so only this machine reaches the gateway; set 0.0.0.0 (or an interface address) to expose it, which AUTH=off refuses.',
  ),
  esAlias: setting(indexName, 'events', 'Search-node alias the Elasticsearch sink keeps over its daily indices (SINK_ES_ALIAS).'),
  pgSchema: setting(schemaName, 'public', 'Postgres schema holding the events and sensor_data tables (SINK_PG_SCHEMA).'),
  redisPrefix: setting(keyPrefix, 'el:', 'Key prefix the Redis sink writes under (SINK_REDIS_KEY_PREFIX).'),
  dlqTopic: setting(v.pipe(v.string(), v.minLength(1)), 'events.dlq', 'Kafka topic the workers write dead letters to; read from the beginning into memory.'),
  dlqBuffer: setting(positiveInt, 10_000, 'Most recent dead letters kept in memory for the deadLetters query; older ones are dropped.'),
  dlqRingMaxBytes: setting(
    positiveInt,
    32 * 1024 * 1024,
    'Most memory the dead letters kept for the deadLetters query may take, estimated from their sizes (payload text, parsed event, message); the oldest go first when this or QUERY_DLQ_BUFFER is reached. A record larger than a sixteenth of it keeps only the first part of its payload, no parsed event, and reads truncated: true.',
  ),
  dlqEnabled: setting(v.boolean(), true, 'Read the dead-letter topic; off, deadLetters answers STORE_UNAVAILABLE (store kafka).'),
  maxTokens: setting(
    positiveInt,
    2000,
    'Most tokens (names, punctuation, values) a GraphQL document may have; counted while parsing, which stops at the limit, so a bigger document is never validated: query_too_large (400).',
  ),
  maxAliases: setting(positiveInt, 15, 'Most aliases an operation may use (fragments counted where spread); more is too_many_aliases (400), before validation.'),
  maxDirectives: setting(positiveInt, 10, 'Most directives (@include, @skip, ...) an operation may use; more is too_many_directives (400), before validation.'),
  maxDepth: setting(
    positiveInt,
    10,
    'Deepest selection nesting an operation may have (a root field is 1; __schema introspection is exempt and charged by cost instead); deeper is QUERY_TOO_DEEP (400), before validation.',
  ),
  maxCost: setting(
    positiveInt,
    1000,
    'Highest cost an operation may have, introspection included: each field costs 1 (plus 1 per day of time range for searches and aggregations), times the sizes of the lists around it (first/limit, keys, eventCounts buckets); above it QUERY_TOO_COSTLY (400).',
  ),
  maxFirst: setting(positiveInt, 100, 'Largest page size (first/limit) a field accepts; larger is BAD_USER_INPUT.'),
  maxBuckets: setting(positiveInt, 10_000, 'Most buckets one eventCounts histogram may have (range / interval).'),
  maxSearchChars: setting(
    positiveInt,
    512,
    'Longest full-text search (events(query:)) in characters; longer is BAD_USER_INPUT (400, issue too_long) before the search node is asked.',
  ),
  maxArgumentChars: setting(
    positiveInt,
    1024,
    'Longest other String or ID argument (ids, keys, type and source names, cursors; in filters and lists too) in characters; longer is BAD_USER_INPUT (400, issue too_long) before any store is asked. Stored ids, types and sources are at most 128 characters and keys 256.',
  ),
  maxArgumentItems: setting(
    positiveInt,
    100,
    'Most strings one list argument (filter types and sources, eventCounts types, latestValues keys) may hold; more is BAD_USER_INPUT (400, issue too_many_items) before any store is asked.',
  ),
  corsOrigins: setting(
    v.array(v.pipe(v.string(), v.regex(/^https?:\/\/[^/\s,*]+$/, 'expected origins like https://app.example.com (scheme, host and port; no path, no *)'))),
    [],
    'Origins whose pages may call the gateway from a browser (comma separated, e.g. https://app.example.com,http://localhost:5173); an answer to one of them carries Access-Control-Allow-Origin with that origin. Empty (the default): no CORS headers at all and preflights are refused, so only same-origin pages (the dashboard) and non-browser clients can call it.',
  ),
  maxBodyBytes: setting(positiveInt, 1_048_576, 'Largest request body; queries are small, so anything bigger is refused by the server.'),
  storeTimeoutMs: setting(positiveInt, 5_000, 'Per-request timeout against each store; a store slower than this reads as unavailable.'),
  readyTimeoutMs: setting(positiveInt, 2_000, '/readyz waits at most this long for each store to answer.'),
  rateWindowSeconds: setting(positiveInt, 5, 'liveStats.eventsPerSecond averages this many complete seconds (the current, partial one is left out).'),
  latencyMinutes: setting(positiveInt, 5, 'liveStats latency percentiles merge this many processing minutes.'),
  pgMaxConnections: setting(positiveInt, 10, 'Postgres pool size.'),
  cacheTtlMs: setting(v.pipe(v.number(), v.integer(), v.minValue(0)), 1000, 'Aggregations (counts, histograms, top lists) and liveStats are shared between requests for this long, then served stale for at most one refresh, so a dashboard polled by many viewers costs the stores one read per interval; 0 turns it off. Event searches and lookups are never cached.'),
  workersGroupId: setting(v.pipe(v.string(), v.minLength(1)), 'event-lens-workers', 'Consumer group whose lag the health field reports per partition (WORKERS_GROUP_ID).'),
  workersTopic: setting(v.pipe(v.string(), v.minLength(1)), 'events', 'Topic the workers consume, whose partitions the health field reports (WORKERS_TOPIC).'),
  processStatusDir: setting(
    v.string(),
    '.stack/run/processes',
    "Folder of the supervisors' status files (platform.json, edge.json, workers.json; relative to the gateway's working directory) whose processes and restarts the health field lists; missing files give an empty list. `npm start` writes them to <STACK_HOME>/run/processes.",
  ),
  healthTimeoutMs: setting(
    positiveInt,
    1000,
    'Bound of each probe behind the health field (Kafka metadata, watermarks and committed offsets; each store); a probe slower than this reads as down. The Kafka reads run in the gateway\'s Kafka reader process, and the lag reads as down when it is not answered within 4 times this.',
  ),
  deliveryMaxMinutes: setting(
    positiveInt,
    1_440,
    'Longest range the delivery field covers, in minutes (24 hours by default); longer is BAD_USER_INPUT (issue range_too_long). Each minute is one Kafka offsets-for-times call per topic on a busy topic, and one row of the answer.',
  ),
  dryRunMaxEvents: setting(positiveInt, 100, 'Most events one pipeline dry run takes (given, or the last N dead letters); more is refused with invalid_parameter / BAD_USER_INPUT.'),
  // PIPELINES_* (not QUERY_*): the workers read the same variables and re-check every definition against them.
  ...pipelineLimitSettings,
  minIntervalMs: setting(positiveInt, 250, 'Smallest intervalMs the liveStats subscription accepts; smaller values are raised to it.'),
  maxSubscriptions: setting(positiveInt, 1000, 'Most subscriptions one gateway process keeps open at once, all clients together; one more is too_many_subscriptions (429).'),
  maxSubscriptionsPerClient: setting(
    positiveInt,
    10,
    'Most subscriptions one client keeps open at once; one more is too_many_subscriptions (429). A client is its API key (every connection using the key together), or its IP address when AUTH=off.',
  ),
  parseCacheMaxEntries: setting(
    positiveInt,
    512,
    'Most parsed documents (and parse errors) kept to skip parsing a repeated query; the least recently used goes first.',
  ),
  parseCacheMaxDocumentChars: setting(
    positiveInt,
    8192,
    'Longest document text (in characters) the parse cache keeps; longer ones are parsed every time. Bounds the cache to about QUERY_PARSE_CACHE_MAX_ENTRIES x this, however many large refused documents arrive.',
  ),
  idleTimeoutSeconds: setting(
    v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(255)),
    10,
    'Seconds a connection may sit idle (nothing sent or received) before the server closes it; subscription streams (Server-Sent Events) are exempt. 255 at most (Bun).',
  ),
});

export type QueryConfig = ConfigOf<typeof queryConfig>;
