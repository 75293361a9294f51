import * as v from 'valibot';
import { defineConfig, positiveInt, setting, type ConfigOf } from '../shared/config/index.ts';
import type { KafkaConfig } from '../shared/kafka/index.ts';
import type { SinkName } from './sinks/types.ts';

export const SINK_NAMES = ['elasticsearch', 'postgres', 'redis'] as const satisfies readonly SinkName[];

const topicName = v.pipe(v.string(), v.regex(/^[A-Za-z0-9._-]{1,249}$/, 'expected a Kafka topic name (letters, digits, . _ -)'));
const nonNegativeInt = v.pipe(v.number('expected a number'), v.integer('expected an integer'), v.minValue(0));
// 0 is allowed so tests (and several workers started by hand) can ask the OS for a free port.
const listenPort = v.pipe(v.number('expected a number'), v.integer('expected an integer'), v.minValue(0), v.maxValue(65535));

export const workersConfig = defineConfig('workers', 'WORKERS', {
  groupId: setting(v.pipe(v.string(), v.minLength(1)), 'event-lens-workers', 'Kafka consumer group every worker process joins.'),
  topic: setting(topicName, 'events', 'Topic the edge produces to and the workers consume.'),
  dlqTopic: setting(
    topicName,
    'events.dlq',
    'Dead-letter topic: original bytes and key, plus headers stage, reason, message, attempts, topic, partition, offset, event_id (and truncated, the original length, when only a prefix of the value fit).',
  ),
  // 2000, not 1000: beside an edge on the same 2 cores, 1000-event batches fell behind at 14,600 events/s (p50 9 s
  // in the end-to-end bench) where 2000 kept p99 under 0.4 s, and bench:workers measures its maximum at 2000.
  batchSize: setting(positiveInt, 2000, 'Most messages taken from one poll and processed (and committed) together.'),
  // 2000 events of the edge's largest size (1 MiB) would be 2 GB in one batch; 64 MiB is about 250,000 ordinary
  // (260-byte) events, so it cuts only batches of large events.
  batchMaxBytes: setting(
    positiveInt,
    67_108_864,
    'Most message bytes (values and keys) in one batch; the messages past the cut wait for the next batch. A batch always takes at least one message.',
  ),
  pollTimeoutMs: setting(positiveInt, 250, 'How long one poll waits for messages when none are buffered.'),
  sessionTimeoutMs: setting(
    positiveInt,
    45_000,
    'A worker that stops heartbeating (crashed, SIGKILL) keeps its partitions this long before the group moves them (session.timeout.ms; the broker allows 6000 and up).',
  ),
  // A worker learns that a rebalance began (another worker joined or left) from a heartbeat answer, and its client
  // hands the revoke over behind every message it has already fetched. With librdkafka's defaults (3 s, 64 MiB) a
  // worker started beside a busy one in bench:workers got partitions only after 4-6 s, once the first had worked
  // through nearly the whole backlog; with these, in about a second.
  heartbeatIntervalMs: setting(
    positiveInt,
    1000,
    'How often a worker heartbeats the group coordinator, and so how soon it hears that a rebalance began (heartbeat.interval.ms; keep it under a third of sessionTimeoutMs).',
  ),
  prefetchKbytes: setting(
    positiveInt,
    8192,
    'Most fetched-ahead message data a worker buffers (queued.max.messages.kbytes); a rebalance waits behind it, so a new worker gets partitions sooner when it is small.',
  ),
  maxPollIntervalMs: setting(
    positiveInt,
    300_000,
    'Longest gap between polls before the member is expelled (max.poll.interval.ms, at least sessionTimeoutMs); workers keep polling while a sink is retried.',
  ),
  retryInitialMs: setting(positiveInt, 200, 'First backoff before re-submitting events a sink answered `retry` for; doubles per attempt.'),
  retryMaxMs: setting(positiveInt, 10_000, 'Cap of that backoff; a store that stays down is retried at least this often, with consumption paused, until retryTimeoutMs.'),
  // Long enough to ride out a store restart or failover (tens of seconds to a couple of minutes) without losing the
  // events' place; short enough that an event a store keeps answering `retry` for holds its partition for minutes,
  // not forever. What is dead-lettered this way can be re-driven (workers/replay.ts).
  retryTimeoutMs: setting(
    positiveInt,
    300_000,
    "How long a sink's transient failures are retried for one batch; the events still pending then are dead-lettered with reason retries_exhausted.",
  ),
  // The edge accepts events up to 1 MiB plus its stamp; a dead letter adds headers. librdkafka's default (1,000,000)
  // refused those dead letters before they left the worker. 2 MiB is the broker's message.max.bytes in infra/ and
  // docker-compose.yml, so a record the events topic holds fits in the dead-letter topic.
  dlqMaxMessageBytes: setting(
    positiveInt,
    2_097_152,
    'Largest record the dead-letter producer sends (message.max.bytes); keep it at or under the dead-letter topic\'s max.message.bytes.',
  ),
  dlqTruncatedBytes: setting(
    positiveInt,
    65_536,
    'When the dead-letter topic refuses a whole record for good (too large, invalid), the record is written again with only this many bytes of the value and a `truncated` header.',
  ),
  metricsPort: setting(listenPort, 9470, 'Port of /metrics, /healthz and /readyz; worker i of a `--count N` run listens on metricsPort + i (0: any free port).'),
  metricsHostname: setting(
    v.pipe(v.string(), v.minLength(1, 'expected an interface address, e.g. 127.0.0.1 or 0.0.0.0')),
    '127.0.0.1',
    'Interface of the /metrics, /healthz and /readyz listener: loopback by default, since /readyz names partitions, offsets and store errors; set 0.0.0.0 (or an interface address) for a scraper on another machine or container.',
  ),
  count: setting(positiveInt, 2, 'Worker processes `bun workers/main.ts` runs on this machine (`--count N` overrides).'),
  shutdownGraceMs: setting(
    positiveInt,
    30_000,
    'On SIGTERM to a `--count N` run: how long each worker process may take to finish its batch, commit and leave the group before it is killed (SIGKILL; its uncommitted batch is then re-delivered).',
  ),
  statusFile: setting(
    v.string(),
    '',
    'With `--count N` above 1: where the supervising process writes its worker processes\' status as JSON (pid, state, restarts, last exit) on every change, with workers_process_restarts_total beside it as <file>.prom; empty: nowhere. `npm start` sets <STACK_HOME>/run/processes/workers.json.',
  ),
  index: setting(nonNegativeInt, 0, 'Which worker of a `--count N` run this process is; set by the supervisor, not by hand.'),
  sinks: setting(
    v.pipe(v.array(v.picklist(SINK_NAMES)), v.minLength(1, 'expected at least one sink')),
    [...SINK_NAMES],
    'Stores every event is written to (comma separated).',
  ),
});

export type WorkersConfig = ConfigOf<typeof workersConfig>;

/** The librdkafka consumer properties that follow from the workers' config. */
export function groupSettings(config: WorkersConfig): KafkaConfig {
  return {
    // Kafka's own view of the group (kafka-consumer-groups --describe --members, Admin.describeGroup) then names the
    // process each partition is with, beside the host the coordinator sees.
    'client.id': `event-lens-workers-${process.pid}`,
    'session.timeout.ms': config.sessionTimeoutMs,
    'max.poll.interval.ms': config.maxPollIntervalMs,
    'heartbeat.interval.ms': config.heartbeatIntervalMs,
    'queued.max.messages.kbytes': config.prefetchKbytes,
    // One fetch response may overshoot the prefetch bound by up to fetch.max.bytes (librdkafka's CONFIGURATION.md),
    // 50 MiB by default; capping it at the prefetch keeps fetched-ahead data near prefetchKbytes. The broker still
    // returns a record larger than the cap on its own (KIP-74), so a 1 MiB event is never stuck behind it, and the
    // floor keeps it at least librdkafka's message.max.bytes, which it requires. queued.min.messages yields to
    // queued.max.messages.kbytes (same document), so it does not need lowering.
    'fetch.max.bytes': Math.max(config.prefetchKbytes * 1024, 1_048_576),
  };
}
