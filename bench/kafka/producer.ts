/**
 * Producer throughput: shared/kafka (bun:ffi librdkafka) vs Kafka's own Java ProducerPerformance, same broker, same
 * run, same record size and durability (acks=all, idempotent, batch.size 256 KiB, linger 5 ms, no compression).
 * Every Bun delivery is awaited individually (one promise per message), as the edge does. After an untimed warm-up,
 * each side runs twice in A B B A order (once each with --quick), and its rate is the mean of its runs.
 *
 *   bun bench/kafka/producer.ts [--quick] [--json] [--records N]
 *
 * Settings: KAFKA_BROKERS, STACK_HOME (where Kafka's jars live); see docs/configuration.md.
 */
import { isAbsolute, join, resolve } from 'node:path';
import { connectionsConfig } from '../../shared/config/connections.ts';
import { loadConfig } from '../../shared/config/index.ts';
import { parseCli, positiveInt } from '../../shared/cli.ts';
import { createAdmin, createProducer, KafkaError } from '../../shared/kafka/index.ts';
import { stackConfig } from '../../infra/config.ts';

const USAGE = `usage: bun bench/kafka/producer.ts [--quick] [--json] [--records N]
  --quick        200,000 records instead of 1,000,000, one run of each side
  --json         print the result as one JSON line
  --records N    how many records each producer sends`;
const { values } = parseCli({ usage: USAGE, options: { quick: { type: 'boolean' }, json: { type: 'boolean' }, records: { type: 'string' } } });

const RECORDS = positiveInt('records', values.records, values.quick ? 200_000 : 1_000_000);
const RECORD_SIZE = 200;
const PARTITIONS = 6;
const BROKERS = loadConfig(connectionsConfig).kafkaBrokers;
const ROOT = resolve(import.meta.dir, '..', '..');
const { home } = loadConfig(stackConfig);
const STACK_HOME = isAbsolute(home) ? home : join(ROOT, home);
const JSON_OUT = values.json === true;
// Below librdkafka's queue.buffering.max.messages (100k): the bench measures throughput, not QueueFull handling.
const WINDOW = 80_000;
const TUNING = { acks: 'all', 'enable.idempotence': true, 'batch.size': 262144, 'linger.ms': 5, 'compression.type': 'none' };

const log = (line: string) => process.stderr.write(`${line}\n`);
const rate = (n: number, ms: number) => Math.round((n * 1000) / ms);

interface RunResult {
  /** Acknowledged records. */
  records: number;
  msgsPerSec: number;
  mbPerSec: number;
  seconds: number;
  failed: number;
}

async function benchBun(topic: string, records = RECORDS): Promise<RunResult> {
  const producer = createProducer({ brokers: BROKERS, config: TUNING });
  const value = crypto.getRandomValues(new Uint8Array(RECORD_SIZE));
  let inflight = 0;
  let acked = 0;
  let failed = 0;
  let firstError: KafkaError | undefined;
  let wake: (() => void) | undefined;
  const settle = () => {
    inflight--;
    if (wake && inflight <= WINDOW / 2) {
      wake();
      wake = undefined;
    }
  };
  const ok = () => {
    acked++;
    settle();
  };
  const fail = (e: KafkaError) => {
    failed++;
    firstError ??= e;
    settle();
  };
  const start = performance.now();
  const progress = setInterval(() => log(`  bun: ${acked.toLocaleString()} acked, ${rate(acked, performance.now() - start).toLocaleString()} msgs/s`), 1000);
  for (let i = 0; i < records; i++) {
    if (inflight >= WINDOW) await new Promise<void>((r) => (wake = r));
    inflight++;
    producer.produce({ topic, value }).then(ok, fail);
  }
  await producer.flush(120_000);
  while (inflight > 0) await Bun.sleep(1);
  const ms = performance.now() - start;
  clearInterval(progress);
  await producer.close();
  if (firstError) log(`  bun: ${failed} deliveries failed, first: ${firstError.message}`);
  return { records: acked, msgsPerSec: rate(acked, ms), mbPerSec: +((acked * RECORD_SIZE) / 1048576 / (ms / 1000)).toFixed(1), seconds: +(ms / 1000).toFixed(2), failed };
}

/**
 * A fifth of the run's records, untimed, before either side is timed. bench:kafka runs first in `npm run bench`, about
 * a minute after the broker starts. Then the broker still answered InitProducerId with "coordinator load in progress"
 * (librdkafka logged GETPID retries for ~0.5 s), and its own JIT was cold: the Bun side, timed first, read 437,652
 * msgs/s in a report where the same client moved 817,661 of the edge's larger records later, and 1.01x of
 * ProducerPerformance on a broker started seconds before against 1.16-1.46x on the same broker warm.
 */
const warmBroker = (topic: string): Promise<RunResult> => benchBun(topic, Math.ceil(RECORDS / 5));

async function benchJava(topic: string): Promise<RunResult> {
  const cp = `${join(STACK_HOME, 'kafka', 'lib')}/*`;
  const props = [`bootstrap.servers=${BROKERS}`, 'acks=all', 'enable.idempotence=true', 'batch.size=262144', 'linger.ms=5', 'compression.type=none'];
  const cmd = ['java', '-cp', cp, 'org.apache.kafka.tools.ProducerPerformance', '--topic', topic, '--num-records', String(RECORDS),
    '--record-size', String(RECORD_SIZE), '--throughput', '-1', '--producer-props', ...props];
  const proc = Bun.spawn(cmd, { stdout: 'pipe', stderr: 'pipe' });
  let last = '';
  const decoder = new TextDecoder();
  const reader = proc.stdout.getReader();
  let pending = '';
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    // Chunks are not line-aligned: keep the unfinished tail for the next one.
    const lines = (pending + decoder.decode(r.value, { stream: true })).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines.filter(Boolean)) {
      if (line.includes('has been deprecated')) continue;
      log(`  java: ${line}`);
      if (line.includes('records sent')) last = line;
    }
  }
  if (pending.includes('records sent')) last = pending;
  const code = await proc.exited;
  if (code !== 0) throw new Error(`ProducerPerformance exited with ${code}: ${(await new Response(proc.stderr).text()).slice(-2000)}`);
  // "1000000 records sent, 128123.4 records/sec (24.44 MB/sec), 130.2 ms avg latency, ..."
  const m = /^(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\)/.exec(last);
  if (!m) throw new Error(`cannot parse ProducerPerformance summary: ${last}`);
  const records = Number(m[1]);
  const msgsPerSec = Math.round(Number(m[2]));
  return { records, msgsPerSec, mbPerSec: Number(m[3]), seconds: +(records / msgsPerSec).toFixed(2), failed: 0 };
}

/** A side's runs as one: records and failures summed, rates the mean of the runs (each moved the same records). */
function combined(rs: readonly RunResult[]): RunResult & { runs: number[] } {
  const mean = (f: (r: RunResult) => number) => rs.reduce((n, r) => n + f(r), 0) / rs.length;
  return {
    records: rs.reduce((n, r) => n + r.records, 0),
    msgsPerSec: Math.round(mean((r) => r.msgsPerSec)),
    mbPerSec: +mean((r) => r.mbPerSec).toFixed(1),
    seconds: +rs.reduce((n, r) => n + r.seconds, 0).toFixed(2),
    failed: rs.reduce((n, r) => n + r.failed, 0),
    runs: rs.map((r) => r.msgsPerSec),
  };
}

const admin = createAdmin({ brokers: BROKERS });
const id = crypto.randomUUID().slice(0, 8);
const topics = { bun: `bench-bun-${id}`, java: `bench-java-${id}`, warm: `bench-warm-${id}` };
try {
  await admin.createTopics(Object.values(topics).map((name) => ({ name, partitions: PARTITIONS })));
  log(`producer bench: ${RECORDS.toLocaleString()} x ${RECORD_SIZE} B, acks=all, idempotent, ${PARTITIONS} partitions, broker ${BROKERS}`);
  const waited = performance.now();
  await warmBroker(topics.warm);
  log(`broker warmed, untimed: ${Math.ceil(RECORDS / 5).toLocaleString()} records, their producer id included, in ${Math.round(performance.now() - waited)} ms`);
  // A B B A (one A B with --quick): the broker keeps warming up over the first millions of records, and a side timed
  // always first or always second carried that into the ratio; over A B B A a drift linear in time cancels out.
  const runs: { bun: RunResult[]; java: RunResult[] } = { bun: [], java: [] };
  const order = values.quick ? (['bun', 'java'] as const) : (['bun', 'java', 'java', 'bun'] as const);
  for (const [i, side] of order.entries()) {
    log(side === 'bun' ? `shared/kafka (bun:ffi librdkafka), every delivery awaited, run ${i + 1}/${order.length}:` : `Kafka ProducerPerformance (Java), run ${i + 1}/${order.length}:`);
    const r = side === 'bun' ? await benchBun(topics.bun) : await benchJava(topics.java);
    log(`  ${side}: ${r.msgsPerSec.toLocaleString()} msgs/s`);
    runs[side].push(r);
  }
  const bun = combined(runs.bun);
  const java = combined(runs.java);
  // Integrity, outside the timing: the broker must hold every acknowledged record.
  let onBroker = 0;
  for (let p = 0; p < PARTITIONS; p++) {
    const w = await admin.watermarks(topics.bun, p);
    onBroker += Number(w.high - w.low);
  }
  log(`  bun: broker holds ${onBroker.toLocaleString()} records`);
  if (onBroker < bun.records) throw new Error(`only ${onBroker} of ${bun.records} acknowledged records are on the broker`);
  const ratio = +(bun.msgsPerSec / java.msgsPerSec).toFixed(2);
  const summary = [
    `bun  (shared/kafka)     ${bun.msgsPerSec.toLocaleString().padStart(10)} msgs/s  ${bun.mbPerSec} MB/s  (mean of ${bun.runs.length}; ${bun.records.toLocaleString()} acked, ${bun.failed} failed)`,
    `java (ProducerPerf.)    ${java.msgsPerSec.toLocaleString().padStart(10)} msgs/s  ${java.mbPerSec} MB/s  (mean of ${java.runs.length})`,
    `ratio bun/java          ${ratio}x (target >= 1.2x)`,
  ];
  console.log(summary.join('\n'));
  if (JSON_OUT) {
    console.log(JSON.stringify({ bench: 'kafka-producer', records: RECORDS, recordSize: RECORD_SIZE, acks: 'all', partitions: PARTITIONS, librdkafka: '2.x', bun, java, ratio, at: new Date().toISOString() }));
  }
  if (bun.failed > 0) process.exitCode = 1;
} finally {
  await admin.deleteTopics(Object.values(topics)).catch((e: unknown) => log(`cleanup failed: ${String(e)}`));
  await admin.close();
}
