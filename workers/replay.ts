import postgres from 'postgres';
import Redis from 'ioredis';
import { parseCli } from '../shared/cli.ts';
import { connectionsConfig } from '../shared/config/connections.ts';
import { loadConfig } from '../shared/config/index.ts';
import { createAdmin, createConsumer, createProducer } from '../shared/kafka/index.ts';
import { processBatch } from './batch.ts';
import { workersConfig } from './config.ts';
import { createWorkerMetrics } from './metrics.ts';
import { createPipelines, pipelinesConfig, type PipelinesConfig } from './pipelines/index.ts';
import { createRedisSink, redisSinkConfig } from './sinks/redis/index.ts';
import { createWindowMirror } from './windows/live.ts';
import { resetWindows } from './windows/reset.ts';

export interface ReplayOptions {
  readonly topic: string;
  readonly brokers?: string;
  /** Epoch ms: messages whose Kafka timestamp is earlier are skipped (read, not applied). */
  readonly from?: number;
  readonly pipelineIds?: readonly string[];
  /** Delete the selected pipelines' window state and live windows first, so they are rebuilt rather than skipped. */
  readonly rebuild?: boolean;
  readonly redisPrefix?: string;
  readonly pipelines?: PipelinesConfig;
  readonly progress?: (line: string) => void;
}

export interface ReplaySummary {
  readonly messages: number;
  readonly skippedBeforeFrom: number;
  readonly invalid: number;
  readonly seconds: number;
}

const bar = (done: number, total: number, started: number): string => {
  const ratio = total === 0 ? 1 : Math.min(1, done / total);
  const elapsed = (performance.now() - started) / 1000;
  const rate = elapsed > 0 ? done / elapsed : 0;
  const eta = rate > 0 ? Math.round((total - done) / rate) : 0;
  return `[${'#'.repeat(Math.round(ratio * 30)).padEnd(30, '.')}] ${done}/${total} ${Math.round(rate)}/s ETA ${eta}s`;
};

/**
 * Re-reads `topic` with a fresh consumer group up to the end offsets captured at the start, and applies every
 * message again to the Redis counters (the sink's seen-guard makes a non-wiped Redis count nothing twice, and a
 * wiped one count everything once) and to the running pipelines' windows (offsets already applied are skipped, and
 * their results re-mirrored into Redis; with `rebuild` they are recomputed from scratch).
 */
export async function replay({ topic, brokers = loadConfig(connectionsConfig).kafkaBrokers, from, pipelineIds, rebuild = false, redisPrefix, pipelines: pipelineSettings = loadConfig(pipelinesConfig), progress = (l) => process.stderr.write(l) }: ReplayOptions): Promise<ReplaySummary> {
  const started = performance.now();
  const admin = createAdmin({ brokers });
  const md = await admin.metadata();
  const partitions = md.topics.find((t) => t.name === topic)?.partitions.map((p) => p.id) ?? [];
  const ends = new Map<number, bigint>();
  let total = 0;
  for (const p of partitions) {
    const { low, high } = await admin.watermarks(topic, p);
    // Partitions with nothing retained are done before they start.
    if (high > low) ends.set(p, high);
    total += Number(high - low);
  }
  await admin.close();
  const connections = loadConfig(connectionsConfig);
  const prefix = redisPrefix ?? loadConfig(redisSinkConfig).keyPrefix;
  if (rebuild && pipelineIds) {
    const sql = postgres(connections.databaseUrl, { max: 1, onnotice: () => {} });
    const redis = new Redis(connections.redisUrl);
    for (const id of pipelineIds) {
      await resetWindows(sql, pipelineSettings.schema, id);
      await createWindowMirror({ redis, prefix }).wipe(id);
    }
    await sql.end();
    redis.disconnect();
  }
  const consumer = createConsumer({ brokers, groupId: `event-lens-replay-${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 8)}`, topics: [topic], config: { 'auto.offset.reset': 'earliest' } });
  const producer = createProducer({ brokers });
  const sink = createRedisSink({ url: connections.redisUrl, config: { keyPrefix: prefix } });
  const backoff = { initialMs: 200, maxMs: 5000 };
  const signal = new AbortController().signal;
  const runner = createPipelines({ producer, metrics: createWorkerMetrics(), backoff, config: pipelineSettings, redisPrefix: prefix, log: (l) => progress(`\n${l}\n`), ...(pipelineIds && { only: pipelineIds }) });
  let done = 0;
  let skipped = 0;
  let invalid = 0;
  const positions = new Map<number, bigint>();
  const finished = () => [...ends].every(([p, end]) => (positions.get(p) ?? -1n) + 1n >= end);
  try {
    while (!finished()) {
      const batch = (await consumer.poll(1000, 500)).filter((m) => m.offset < (ends.get(m.partition) ?? 0n));
      for (const m of batch) positions.set(m.partition, m.offset > (positions.get(m.partition) ?? -1n) ? m.offset : positions.get(m.partition)!);
      done += batch.length;
      const applied = from === undefined ? batch : batch.filter((m) => m.timestamp >= from);
      skipped += batch.length - applied.length;
      if (applied.length > 0) {
        const { settled } = await processBatch(applied, { sinks: [sink], backoff, signal }, (valid) => runner.process(valid, signal));
        invalid += settled.filter((s) => s.stage === 'decode' || s.stage === 'validate').length;
        if (runner.due()) await runner.flush(signal);
      }
      progress(`\r${bar(done, total, started)}`);
    }
    await runner.flush(signal);
  } finally {
    await consumer.close();
    await runner.close();
    await sink.close();
    await producer.close();
  }
  const summary = { messages: done, skippedBeforeFrom: skipped, invalid, seconds: Math.round(performance.now() - started) / 1000 };
  progress(`\nreplayed ${summary.messages} messages of ${topic} in ${summary.seconds}s (${skipped} before --from, ${invalid} invalid)\n`);
  return summary;
}

const USAGE = `usage: bun workers/replay.ts [--topic T] [--from TIME] [--pipeline ID] [--rebuild]
  --topic T       the topic to read again (default WORKERS_TOPIC)
  --from TIME     start at this ISO time or epoch ms (default: the beginning)
  --pipeline ID   replay into this pipeline only
  --rebuild       delete the pipelines' window state first, so they are rebuilt rather than skipped`;

if (import.meta.main) {
  const { values } = parseCli({
    usage: USAGE,
    options: { topic: { type: 'string' }, from: { type: 'string' }, pipeline: { type: 'string' }, rebuild: { type: 'boolean' } },
  });
  const fromText = values.from;
  const from = fromText === undefined ? undefined : /^\d+$/.test(fromText) ? Number(fromText) : Date.parse(fromText);
  if (from !== undefined && !Number.isFinite(from)) {
    console.error(`replay: --from expects an ISO time or epoch ms, got ${JSON.stringify(fromText)}`);
    process.exit(2);
  }
  const pipeline = values.pipeline;
  await replay({ topic: values.topic ?? loadConfig(workersConfig).topic, from, pipelineIds: pipeline ? [pipeline] : undefined, rebuild: values.rebuild === true });
  process.exit(0);
}
