import { join } from 'node:path';
import { encodeEvent, stampEvent, uuidv7, type StampedEvent } from '../../shared/contracts/index.ts';
import { createAdmin, createProducer } from '../../shared/kafka/index.ts';
import { sampleRss } from './proc.ts';
import { deleteKeys } from '../../shared/stores/redis-scan.ts';

export const ROOT = join(import.meta.dir, '..', '..');

/**
 * What bench:workers and bench:windows share: one topic loaded with generated events, worker clusters run as real
 * processes (`bun workers/main.ts`) on their own group and stores, the group's progress read from its committed
 * offsets, and clean-up of every topic, index, schema and key prefix a run made.
 */
export function workerBench({ brokers = '127.0.0.1:9092', esUrl = 'http://127.0.0.1:9200', pgUrl = 'postgres://postgres@127.0.0.1:5432/test', redisUrl = 'redis://127.0.0.1:6379' } = {}) {
  const id = Date.now().toString(36);
  const topic = `bench-${id}`;
  const admin = createAdmin({ brokers });
  const producer = createProducer({ brokers, config: { 'linger.ms': 5, 'queue.buffering.max.messages': 500_000 } });
  const made = { groups: [] as string[], prefixes: [] as string[] };
  let produced = 0;

  const makeEvents = (n: number, at = Date.now()): StampedEvent[] =>
    Array.from({ length: n }, (_, i) =>
      stampEvent({ type: ['page.view', 'order.created', 'signup'][i % 3]!, source: 'bench', key: `user-${i % 5000}`, data: { page: '/pricing', amount: i % 997, session: `s-${i}` } }, { now: at, newId: uuidv7 }),
    );

  async function produce(events: StampedEvent[]): Promise<void> {
    const results = await producer.produceBatch(events.map((e) => ({ topic, key: e.key, value: encodeEvent(e) })));
    const failed = results.filter((r) => r instanceof Error).length;
    if (failed) throw new Error(`${failed} events not produced`);
    produced += events.length;
  }

  /** Events of the topic the group has not committed yet (Admin.groupLag skips partitions never committed). */
  async function lagOf(group: string): Promise<bigint> {
    let committed = 0n;
    for (const c of await admin.committed(group)) if (c.topic === topic && c.offset > 0n) committed += c.offset;
    return BigInt(produced) - committed;
  }

  /** Env for a worker cluster with its own group and stores, so two runs in one bench do the same full work. */
  function workerEnv(name: string, extra: Record<string, string> = {}): Record<string, string | undefined> {
    const prefix = `bench_${id}_${name}`;
    made.groups.push(prefix);
    made.prefixes.push(prefix);
    return {
      ...process.env,
      WORKERS_TOPIC: topic,
      WORKERS_GROUP_ID: prefix,
      WORKERS_DLQ_TOPIC: `${topic}.dlq`,
      WORKERS_BATCH_SIZE: process.env.WORKERS_BATCH_SIZE ?? '2000',
      // Any free port per worker: a free base port says nothing about base + 1, which the second worker takes.
      WORKERS_METRICS_PORT: '0',
      SINK_ES_INDEX_PREFIX: prefix.replace(/_/g, '-'),
      SINK_ES_ALIAS: prefix.replace(/_/g, '-'),
      SINK_PG_SCHEMA: prefix,
      SINK_REDIS_KEY_PREFIX: `${prefix}:`,
      PIPELINES_SCHEMA: prefix,
      ...extra,
    };
  }

  /**
   * Starts `count` workers and waits until the group has committed everything produced. The clock starts when the
   * first events reach Postgres, so joining the group and one-off set-up (migrations, template) are not counted. Not at
   * the first commit: with a windowed pipeline, commits wait for the window flush (PIPELINES_FLUSH_MS) while batches
   * go on being processed, and counting from the first commit would leave that work out of the time but not the count.
   */
  async function runUntilDrained(env: Record<string, string | undefined>, count: number) {
    const group = env.WORKERS_GROUP_ID!;
    const { default: postgres } = await import('postgres');
    const sql = postgres(pgUrl, { max: 1, onnotice: () => {} });
    const stored = async () => Number((await sql.unsafe(`select count(*) as n from ${env.SINK_PG_SCHEMA}.events`))[0]?.n ?? 0);
    const proc = Bun.spawn([process.execPath, join(ROOT, 'workers/main.ts'), '--count', String(count)], { env, stdout: 'ignore', stderr: 'inherit', cwd: ROOT });
    const stopRss = sampleRss(proc.pid);
    let start = 0;
    let before = 0;
    try {
      for (;;) {
        if (!start) {
          const first = await sql.unsafe(`select exists (select 1 from ${env.SINK_PG_SCHEMA}.events) as any`).then((r) => r[0]?.any === true, () => false);
          if (first) {
            start = performance.now();
            before = await stored();
          }
        } else if ((await lagOf(group).catch(() => BigInt(produced))) === 0n) break;
        if (proc.exitCode !== null) throw new Error(`workers exited with ${proc.exitCode}`);
        await Bun.sleep(50);
      }
    } finally {
      await sql.end();
    }
    const eventsPerSec = (produced - before) / ((performance.now() - start) / 1000);
    return {
      eventsPerSec,
      proc,
      async stop() {
        const rss = stopRss();
        proc.kill('SIGTERM');
        await proc.exited;
        return rss;
      },
    };
  }

  /**
   * Deletes what one run wrote (indices, template, schema, Redis keys). Between runs too, not only at the end: a search
   * node still merging the last run's index and Postgres vacuuming its tables would slow whichever run comes next.
   */
  async function dropRun(prefix: string): Promise<void> {
    const { default: postgres } = await import('postgres');
    const sql = postgres(pgUrl, { max: 1, onnotice: () => {} });
    const { default: Redis } = await import('ioredis');
    const redis = new Redis(redisUrl);
    try {
      const es = prefix.replace(/_/g, '-');
      const indices = await fetch(`${esUrl}/_cat/indices/${es}-*?format=json`).then((r) => r.json() as Promise<Array<{ index: string }>>).catch(() => []);
      for (const { index } of indices) await fetch(`${esUrl}/${index}`, { method: 'DELETE' });
      await fetch(`${esUrl}/_index_template/${es}-template`, { method: 'DELETE' }).catch(() => {});
      await sql.unsafe(`drop schema if exists ${prefix} cascade`).catch(() => {});
      await deleteKeys(redis, `${prefix}:*`);
    } finally {
      await sql.end();
      await redis.quit();
    }
  }

  async function cleanup(): Promise<void> {
    await producer.close();
    await admin.deleteTopics([topic, `${topic}.dlq`]).catch(() => {});
    await admin.close();
    for (const prefix of made.prefixes) await dropRun(prefix);
  }

  return { id, topic, admin, makeEvents, produce, lagOf, workerEnv, runUntilDrained, dropRun, cleanup, get produced() { return produced; } };
}
