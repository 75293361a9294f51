import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { TCPSocketListener } from 'bun';
import { createProducer } from '../../shared/kafka/index.ts';
import { topicFixture, uniqueName } from '../../shared/kafka/testing.ts';
import { connections, createRun, eventually, graphql } from '../testing.ts';
import { createGateway, type Gateway } from '../yoga.ts';
import { createKafkaReader, type KafkaReader } from './reader.ts';

// A "broker" that takes connections and never answers: every Kafka call against it waits out its timeout.
let silent: TCPSocketListener;
let silentBrokers: string;
const topics = topicFixture();
let topic: string;
const readers: KafkaReader[] = [];
const reader = (options: Partial<Parameters<typeof createKafkaReader>[0]> = {}) => {
  const r = createKafkaReader({ brokers: connections.kafkaBrokers, log: () => {}, ...options });
  readers.push(r);
  return r;
};
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  silent = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  silentBrokers = `127.0.0.1:${silent.port}`;
  topic = await topics.create(2, 'query-kafka-reader');
  const producer = createProducer({ brokers: connections.kafkaBrokers });
  try {
    await Promise.all([0, 1, 2].map((n) => producer.produce({ topic, partition: 0, value: `{"n":${n}}` })));
  } finally {
    await producer.close();
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(readers.map((r) => r.close()));
  await topics.cleanup();
  silent.stop(true);
});

const lagOf = (r: KafkaReader, waitMs = 10_000) => r.lag({ groupId: uniqueName('nobody'), topic, timeoutMs: 1000 }, waitMs);

describe('the Kafka reader process', () => {
  test("answers a group's lag per partition from a process of its own, kept for the next read", async () => {
    const r = reader();
    const first = await lagOf(r);
    expect(first.topicExists).toBe(true);
    // A group that never committed is behind by everything the partition holds.
    expect(first.partitions.map((p) => [p.partition, p.highWatermark, p.committed, p.lag])).toEqual([
      [0, 3n, null, 3n],
      [1, 0n, null, 0n],
    ]);
    const pid = r.pid;
    expect(pid).toBeNumber();
    expect(pid).not.toBe(process.pid);
    expect((await lagOf(r)).partitions).toEqual(first.partitions);
    expect(r.pid).toBe(pid!);
  });

  test('counts records per minute of several topics in one request', async () => {
    const start = Math.floor(Date.now() / 60_000) * 60_000 - 5 * 60_000;
    const [counts, none] = await reader().recordsPerMinute({ topics: [topic, uniqueName('absent')], start, minutes: 10, timeoutMs: 2000 }, 10_000);
    expect(counts!.reduce((a, b) => a + b, 0)).toBe(3);
    expect(none).toEqual(new Array(10).fill(0));
  });

  test('a process that dies mid-read fails that read with the reason, and the next read starts another', async () => {
    const r = reader({ brokers: silentBrokers, restartDelayMs: 0 });
    const pending = lagOf(r, 30_000);
    const pid = r.pid!;
    process.kill(pid, 'SIGABRT');
    await expect(pending).rejects.toThrow('the Kafka reader process exited (signal SIGABRT)');
    const next = lagOf(r, 30_000);
    expect(r.pid).toBeNumber();
    expect(r.pid).not.toBe(pid);
    await expect(next).rejects.toThrow(/TIMED_OUT|TRANSPORT|timed out/i);
  }, 30_000);

  test('after a process dies, reads are refused at once until the restart delay has passed', async () => {
    const r = reader({ restartDelayMs: 60_000 });
    await lagOf(r);
    const pid = r.pid!;
    process.kill(pid, 'SIGKILL');
    await eventually(() => r.pid === undefined, 'the killed reader process to be noticed');
    await expect(lagOf(r)).rejects.toThrow('the Kafka reader process exited (signal SIGKILL); another starts shortly');
    expect(r.pid).toBeUndefined();
  });

  test('a read not answered in time fails; once the queue is full a new read is refused, or replaces a process that stopped answering', async () => {
    const patient = reader({ brokers: silentBrokers, maxOutstanding: 1, stuckAfterMs: 60_000 });
    await expect(lagOf(patient, 100)).rejects.toThrow('no answer within 100 ms');
    await expect(lagOf(patient, 100)).rejects.toThrow('1 Kafka reads are still waiting for an answer');

    const impatient = reader({ brokers: silentBrokers, maxOutstanding: 1, stuckAfterMs: 0 });
    await expect(lagOf(impatient, 100)).rejects.toThrow('no answer within 100 ms');
    const stuck = impatient.pid!;
    const next = lagOf(impatient, 100);
    expect(impatient.pid).not.toBe(stuck);
    await expect(next).rejects.toThrow('no answer within 100 ms');
    await eventually(() => !alive(stuck), 'the stuck reader process to be gone');
  });

  test('the process ends when the gateway process that started it is gone', async () => {
    const script = `
      import { createKafkaReader } from ${JSON.stringify(`${import.meta.dir}/reader.ts`)};
      const r = createKafkaReader({ brokers: ${JSON.stringify(silentBrokers)}, log: () => {} });
      r.lag({ groupId: 'g', topic: 't', timeoutMs: 1000 }, 60_000).catch(() => {});
      console.log(r.pid);
      await Bun.sleep(60_000);`;
    const parent = Bun.spawn([process.execPath, '-e', script], { stdout: 'pipe', stderr: 'ignore' });
    const { value } = await parent.stdout.getReader().read();
    const child = Number(new TextDecoder().decode(value).trim());
    expect(alive(child)).toBe(true);
    parent.kill('SIGKILL');
    await eventually(() => !alive(child), 'the orphaned reader process to exit', 20_000);
  }, 30_000);
});

describe('the gateway while Kafka does not answer', () => {
  const run = createRun();
  let gateway: Gateway;
  beforeAll(() => {
    gateway = createGateway({ config: { ...run.config, healthTimeoutMs: 1000, storeTimeoutMs: 1000 }, auth: run.auth, dlq: false, kafkaBrokers: silentBrokers });
  });
  afterAll(async () => {
    await gateway?.close();
    await run.cleanup();
  });

  test("health shows Kafka down and delivery's Kafka column is null, both read outside the gateway's process", async () => {
    const fetch = run.as('read', gateway.yoga.fetch);
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    const [health, delivery] = await Promise.all([
      graphql(fetch, '{ health { lag { up error } stores { up } } }'),
      graphql(fetch, `{ delivery(from: "${new Date(minute - 60 * 60_000).toISOString()}", to: "${new Date(minute).toISOString()}") { totals { received } } }`),
    ]);
    expect(health.data!.health.lag).toEqual({ up: false, error: 'no broker answered within 1000 ms' });
    expect(health.data!.health.stores).toEqual([{ up: true }, { up: true }, { up: true }]);
    expect(delivery.data!.delivery.totals.received).toBeNull();
    expect(gateway.kafka.pid).toBeNumber();
    expect(gateway.kafka.pid).not.toBe(process.pid);
  });

  test('counts a reader process that died on its metrics, and a later read starts another', async () => {
    const fetch = run.as('read', gateway.yoga.fetch);
    const dead = gateway.kafka.pid!;
    process.kill(dead, 'SIGKILL');
    await eventually(() => gateway.kafka.pid === undefined, 'the gateway to notice that its reader process ended');
    expect(gateway.metrics.registry.render()).toContain('query_kafka_reader_ends_total{reason="exited"} 1');
    const restarted = await eventually(async () => {
      await graphql(fetch, '{ health { lag { up } } }');
      return gateway.kafka.pid !== undefined && gateway.kafka.pid !== dead;
    }, 'a health read to start another reader process');
    expect(restarted).toBe(true);
  });
});
