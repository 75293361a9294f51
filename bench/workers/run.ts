import { join } from 'node:path';
import { encodeEvent, stampEvent, uuidv7, type StampedEvent } from '../../shared/contracts/index.ts';
import { createAdmin, createProducer } from '../../shared/kafka/index.ts';
import { sampleRss } from '../lib/proc.ts';
import { freePort, printTable } from '../lib/run.ts';
import { rawBatchInsert, rawBulkLoad } from './raw.ts';

/**
 * bench:workers — events/s through the worker cluster into all three stores, beside the raw rate of the slowest
 * store (a plain _bulk loader, a plain batched insert) with the same documents, in the same run; then how long the
 * lag takes to drain once a steady load stops.
 */
const quick = process.argv.includes('--quick');
const json = process.argv.includes('--json');
const N = quick ? 40_000 : 200_000;
const workers = Number(process.env.WORKERS_COUNT ?? 2);
const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const esUrl = process.env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200';
const pgUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const root = join(import.meta.dir, '..', '..');
// With --json, progress goes to stderr so stdout stays the one result line.
const log = (s: string) => (json ? process.stderr.write(`${s}\n`) : console.log(s));
const id = Date.now().toString(36);
const topic = `bench-workers-${id}`;
const group = `bench-workers-${id}`;

const makeEvents = (n: number, at = Date.now()): StampedEvent[] =>
  Array.from({ length: n }, (_, i) =>
    stampEvent({ type: ['page.view', 'order.created', 'signup'][i % 3]!, source: 'bench', key: `user-${i % 5000}`, data: { page: '/pricing', amount: i % 997, session: `s-${i}` } }, { now: at, newId: uuidv7 }),
  );

const admin = createAdmin({ brokers });
const producer = createProducer({ brokers, config: { 'linger.ms': 5, 'queue.buffering.max.messages': 500_000 } });
await admin.createTopics([{ name: topic, partitions: 6 }]);
const produce = async (events: StampedEvent[]) => {
  const results = await producer.produceBatch(events.map((e) => ({ topic, key: e.key, value: encodeEvent(e) })));
  const failed = results.filter((r) => r instanceof Error).length;
  if (failed) throw new Error(`${failed} events not produced`);
  produced += events.length;
};
let produced = 0;
// Admin.groupLag counts only partitions the group has committed; here every partition counts from the start.
const lagOf = async () => {
  let committed = 0n;
  for (const c of await admin.committed(group)) if (c.topic === topic && c.offset > 0n) committed += c.offset;
  return BigInt(produced) - committed;
};

const env = {
  ...process.env,
  WORKERS_TOPIC: topic,
  WORKERS_GROUP_ID: group,
  WORKERS_DLQ_TOPIC: `${topic}.dlq`,
  WORKERS_BATCH_SIZE: process.env.WORKERS_BATCH_SIZE ?? '2000',
  WORKERS_METRICS_PORT: String(freePort()),
  SINK_ES_INDEX_PREFIX: `bench-${id}`,
  SINK_ES_ALIAS: `bench-${id}`,
  SINK_PG_SCHEMA: `bench_${id}`,
  SINK_REDIS_KEY_PREFIX: `bench:${id}:`,
};
let proc: ReturnType<typeof Bun.spawn> | undefined;
try {
  log(`bench:workers — ${N.toLocaleString()} events, ${workers} worker processes, topic ${topic}`);
  const events = makeEvents(N);
  log('  raw references: plain _bulk loader and plain batched insert, same documents ...');
  const esRaw = await rawBulkLoad(esUrl, events);
  const pgRaw = await rawBatchInsert(pgUrl, events);
  log(`  producing ${N.toLocaleString()} events to Kafka ...`);
  await produce(events);
  log(`  running ${workers} workers until the group's lag is zero ...`);
  proc = Bun.spawn([process.execPath, join(root, 'workers/main.ts'), '--count', String(workers)], { env, stdout: 'ignore', stderr: 'inherit', cwd: root });
  const stopRss = sampleRss(proc.pid);
  // The clock starts when the group first commits, so joining the group and one-off set-up (migrations, template) are
  // not counted against the workers' rate.
  let start = 0;
  let startLag = 0n;
  for (;;) {
    const lag = await lagOf().catch(() => BigInt(N));
    if (!start && lag < BigInt(N)) {
      start = performance.now();
      startLag = lag;
    }
    if (start && lag === 0n) break;
    await Bun.sleep(50);
  }
  const workersRate = Number(startLag) / ((performance.now() - start) / 1000);

  log('  steady load at half that rate for 10 s, then measuring how long the lag takes to drain ...');
  const perTick = Math.max(1, Math.round(workersRate / 2 / 10));
  for (let t = 0; t < 100; t++) {
    const tick = performance.now();
    await produce(makeEvents(perTick));
    await Bun.sleep(Math.max(0, 100 - (performance.now() - tick)));
  }
  const stopped = performance.now();
  while ((await lagOf()) > 0n) await Bun.sleep(50);
  const drainSeconds = (performance.now() - stopped) / 1000;
  const rss = stopRss();

  const slowest = Math.min(esRaw, pgRaw);
  const result = { events: N, workers, workersEventsPerSec: workersRate, esRawDocsPerSec: esRaw, pgRawRowsPerSec: pgRaw, ratioVsSlowestStore: workersRate / slowest, drainSeconds, workerPeakRssBytes: rss.peakProcessBytes, workersPeakRssTotalBytes: rss.peakTotalBytes };
  if (json) console.log(JSON.stringify(result));
  else {
    printTable(
      ['what', 'events/s'],
      [
        [`workers → Elasticsearch + Postgres + Redis (${workers} processes)`, workersRate.toFixed(0)],
        ['raw _bulk loader → Elasticsearch', esRaw.toFixed(0)],
        ['raw batched insert → Postgres', pgRaw.toFixed(0)],
      ],
    );
    console.log(`
ratio  workers / slowest store's raw rate     ${result.ratioVsSlowestStore.toFixed(2)}×  (target ≥ 0.8×)
lag    back to zero after a steady load stops ${drainSeconds.toFixed(1)} s  (target ≤ 5 s)`);
  }
} finally {
  proc?.kill('SIGTERM');
  await proc?.exited;
  await producer.close();
  await cleanup();
  await admin.close();
}

async function cleanup() {
  await admin.deleteTopics([topic, `${topic}.dlq`]).catch(() => {});
  const es = await fetch(`${esUrl}/_cat/indices/bench-${id}-*?format=json`).then((r) => r.json() as Promise<Array<{ index: string }>>).catch(() => []);
  for (const { index } of es) await fetch(`${esUrl}/${index}`, { method: 'DELETE' });
  await fetch(`${esUrl}/_index_template/bench-${id}-template`, { method: 'DELETE' }).catch(() => {});
  const { default: postgres } = await import('postgres');
  const sql = postgres(pgUrl, { max: 1, onnotice: () => {} });
  await sql.unsafe(`drop schema if exists bench_${id} cascade`).catch(() => {});
  await sql.end();
  const { default: Redis } = await import('ioredis');
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `bench:${id}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
  await redis.quit();
}
