import { topicDelta, type CountInput } from '../report/counts.ts';
import { producerPerformance } from '../lib/producer-perf.ts';
import { runBareClient, type ClientRun } from './bare-client.ts';

export interface YardstickOptions {
  brokers: string;
  /** client: the bare client's topic; java: ProducerPerformance's. */
  topics: { client: string; java: string };
  processes: number;
  /** Groups of 100 in flight per process: wrk's batch connections. */
  window: number;
  lingerMs: string;
  compression: string;
  seconds: number;
  warmup: number;
  /** How many records ProducerPerformance sends. */
  records: number;
  /** The edge's stamped records, one a line, for ProducerPerformance. */
  payloadFile: string;
  settled: (topic: string) => Promise<bigint[]>;
  log: (line: string) => void;
}

export interface Yardsticks {
  client?: ClientRun | undefined;
  clientError?: string | undefined;
  producerPerf?: Awaited<ReturnType<typeof producerPerformance>> | undefined;
  producerPerfError?: string | undefined;
  /** The bare client's acknowledged records against its topic, when it ran. */
  count?: CountInput | undefined;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * The Kafka-side yardsticks for the edge's batches: the bare client producing the edge's own records with the edge's
 * settings, one producer per process as the edge has (what the edge's batches would reach if HTTP, parsing,
 * validation, stamping and receipts were free), and Kafka's ProducerPerformance with the same records. A failure of
 * either is reported in the result rather than ending the run.
 */
export async function runYardsticks(o: YardstickOptions): Promise<Yardsticks> {
  const out: Yardsticks = {};
  o.log(`  Kafka client alone (shared/kafka), the edge's records in groups of 100, ${o.processes} processes: warm-up ${o.warmup} s, then ${o.seconds} s ...`);
  const clientOptions = { brokers: o.brokers, topic: o.topics.client, processes: o.processes, window: o.window, lingerMs: o.lingerMs, compression: o.compression };
  try {
    await runBareClient({ ...clientOptions, seconds: o.warmup });
    const before = await o.settled(o.topics.client);
    out.client = await runBareClient({ ...clientOptions, seconds: o.seconds });
    o.log(`    ${out.client.eventsPerSecond.toFixed(0)} events/s, ${out.client.failed} failed`);
    out.count = { name: 'Kafka client alone, edge records', acked: out.client.acked, inTopic: topicDelta(before, await o.settled(o.topics.client)) };
  } catch (e) {
    out.clientError = message(e);
    o.log(`    the bare client run failed: ${out.clientError}`);
  }

  o.log(`  Kafka ProducerPerformance: ${o.records.toLocaleString()} of the edge's records, acks=all, idempotent, linger ${o.lingerMs} ms, ${o.compression} ...`);
  try {
    out.producerPerf = await producerPerformance({
      topic: o.topics.java,
      records: o.records,
      brokers: o.brokers,
      payloadFile: o.payloadFile,
      props: { acks: 'all', 'enable.idempotence': true, 'linger.ms': o.lingerMs, 'compression.type': o.compression },
    });
    o.log(`    ${out.producerPerf.recordsPerSec.toFixed(0)} records/s`);
  } catch (e) {
    out.producerPerfError = message(e);
    o.log(`    ProducerPerformance failed: ${out.producerPerfError}`);
  }
  return out;
}
