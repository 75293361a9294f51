/**
 * The bare Kafka client with the edge's records: the yardstick for the edge's batches. Each process builds the
 * edge's Kafka records (stamped events, as `eventMessage` makes them: key, JSON text, three headers, timestamp)
 * before timing, then sends them with the edge's producer settings in groups of 100 through `produceBatch`, at most
 * `--window` groups unacknowledged (wrk's 64 connections), for `--seconds`. No HTTP, no parsing, no
 * validation, no receipt: what is left is what producing the edge's records costs shared/kafka and the broker.
 *
 *   bun bench/edge/client.ts --topic T [--seconds N --processes N ...]   (--help; prints one JSON line:
 *                               {acked, failed, seconds, eventsPerSecond})
 *
 * With --processes above 1 it runs that many copies, as the edge runs one producer per process, and sums them.
 * bench/edge/run.ts passes every value, the edge's own settings among them, as flags.
 */
import { parseCli, positiveInt } from '../../shared/cli.ts';
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

const USAGE = `usage: bun bench/edge/client.ts --topic T [options]
  --topic T          the topic to produce to (required)
  --brokers LIST     Kafka bootstrap servers (default 127.0.0.1:9092)
  --seconds N        how long to produce (default 15)
  --processes N      producer processes, summed (default 1)
  --window N         groups of 100 in flight per process (default 64)
  --linger-ms N      the producer's linger.ms (default 5, the edge's)
  --compression C    the producer's compression.type (default lz4)`;
const { values } = parseCli({
  usage: USAGE,
  options: {
    topic: { type: 'string' }, brokers: { type: 'string' }, seconds: { type: 'string' }, processes: { type: 'string' }, window: { type: 'string' },
    'linger-ms': { type: 'string' }, compression: { type: 'string' }, child: { type: 'boolean' },
  },
  args: import.meta.main ? process.argv.slice(2) : [],
});
const brokers = values.brokers ?? '127.0.0.1:9092';
const topic = values.topic ?? '';
const seconds = positiveInt('seconds', values.seconds, 15);
const processes = positiveInt('processes', values.processes, 1);
const window = positiveInt('window', values.window, 64);
const lingerMs = values['linger-ms'] === undefined ? undefined : Number(values['linger-ms']);
const compression = values.compression ?? 'lz4';
const GROUP = 100;

if (import.meta.main) {
  if (!topic) throw new Error('--topic is required');
  const run = processes > 1 && !values.child ? await supervise() : await produce();
  console.log(JSON.stringify(run));
}

async function produce(): Promise<ClientRun> {
  const producer = createProducer({ brokers, config: edgeProducerConfig({ lingerMs, compression }) });
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
  const children = Array.from({ length: processes }, () => Bun.spawn([process.execPath, import.meta.path, ...process.argv.slice(2), '--child'], { stdout: 'pipe', stderr: 'inherit' }));
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
