/**
 * The bare Kafka client with the edge's records: the yardstick for the edge's batches. Each process builds the
 * edge's Kafka records (stamped events, as `eventMessage` makes them: key, JSON text, three headers, timestamp)
 * before timing, then sends them with the edge's producer settings in groups of 100 through `produceBatch`, at most
 * `BENCH_WINDOW` groups unacknowledged (wrk's 64 connections), for `BENCH_SECONDS`. No HTTP, no parsing, no
 * validation, no receipt: what is left is what producing the edge's records costs shared/kafka and the broker.
 *
 *   bun bench/edge/client.ts   (env: KAFKA_BROKERS, BENCH_TOPIC, BENCH_SECONDS, BENCH_PROCESSES, EDGE_LINGER_MS,
 *                               EDGE_COMPRESSION; prints one JSON line: {acked, failed, seconds, eventsPerSecond})
 *
 * With BENCH_PROCESSES > 1 it runs that many copies, as the edge runs one producer per process, and sums them.
 */
import { stampEvent, uuidv7 } from '../../shared/contracts/index.ts';
import { createProducer, KafkaError, type OutgoingMessage } from '../../shared/kafka/index.ts';
import { edgeProducerConfig, eventMessage } from '../../shared/contracts/record.ts';
import { benchEvent } from './events.ts';

export interface ClientRun {
  acked: number;
  failed: number;
  seconds: number;
  eventsPerSecond: number;
  firstError?: string;
}

const env = process.env;
const brokers = env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const topic = env.BENCH_TOPIC ?? '';
const seconds = Number(env.BENCH_SECONDS ?? 15);
const processes = Number(env.BENCH_PROCESSES ?? 1);
const window = Number(env.BENCH_WINDOW ?? 64);
const GROUP = 100;

if (import.meta.main) {
  if (!topic) throw new Error('BENCH_TOPIC is required');
  const run = processes > 1 && !process.argv.includes('--child') ? await supervise() : await produce();
  console.log(JSON.stringify(run));
}

async function produce(): Promise<ClientRun> {
  const producer = createProducer({ brokers, config: edgeProducerConfig({ lingerMs: Number(env.EDGE_LINGER_MS ?? 2), compression: env.EDGE_COMPRESSION ?? 'lz4' }) });
  const now = Date.now();
  const messages: OutgoingMessage[] = Array.from({ length: 10 * GROUP }, (_, i) => eventMessage(topic, stampEvent(benchEvent(i), { now, newId: uuidv7 })));
  let acked = 0;
  let failed = 0;
  let firstError: string | undefined;
  let inflight = 0;
  let wake: (() => void) | undefined;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  for (let g = 0; performance.now() < deadline; g++) {
    if (inflight >= window) await new Promise<void>((resolve) => (wake = resolve));
    inflight++;
    const at = (g % 10) * GROUP;
    void producer.produceBatch(messages.slice(at, at + GROUP)).then((results) => {
      for (const r of results) {
        if (r instanceof KafkaError) {
          failed++;
          firstError ??= r.message;
        } else acked++;
      }
      inflight--;
      const w = wake;
      wake = undefined;
      w?.();
    });
  }
  // Like wrk, the rate counts what was acknowledged within the run; the rest still lands before the topic is counted.
  const countedAcked = acked;
  const elapsed = (performance.now() - start) / 1000;
  while (inflight > 0) await Bun.sleep(1);
  await producer.close();
  return { acked: countedAcked, failed, seconds: elapsed, eventsPerSecond: countedAcked / elapsed, firstError };
}

async function supervise(): Promise<ClientRun> {
  const children = Array.from({ length: processes }, () => Bun.spawn([process.execPath, import.meta.path, '--child'], { stdout: 'pipe', stderr: 'inherit', env }));
  const runs = await Promise.all(
    children.map(async (child) => {
      const out = await new Response(child.stdout).text();
      if ((await child.exited) !== 0) throw new Error(`bench/edge/client.ts child exited with ${child.exitCode}`);
      return JSON.parse(out.trim().split('\n').at(-1)!) as ClientRun;
    }),
  );
  const sum = (pick: (r: ClientRun) => number) => runs.reduce((n, r) => n + pick(r), 0);
  return {
    acked: sum((r) => r.acked),
    failed: sum((r) => r.failed),
    seconds: Math.max(...runs.map((r) => r.seconds)),
    eventsPerSecond: sum((r) => r.eventsPerSecond),
    firstError: runs.find((r) => r.firstError)?.firstError,
  };
}
