import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { join } from 'node:path';
import { createConsumer, createProducer, KafkaError, mockClusterOf, type DeliveryReport, type Producer } from './index.ts';
import { uniqueName } from './testing.ts';

// A real broker on a shared 2-core machine: allow for slow group joins; these are limits, not assertions.
setDefaultTimeout(30_000);

// Faults are injected on an unused port or librdkafka's own mock cluster, never on the shared real broker.
const UNREACHABLE = '127.0.0.1:1';
const open: Producer[] = [];
afterAll(() => Promise.all(open.map((p) => p.close(1000))));

function mockProducer(config: Record<string, string | number | boolean> = {}): Producer {
  const p = createProducer({ config: { 'test.mock.num.brokers': 1, 'message.timeout.ms': 2000, 'linger.ms': 1, 'reconnect.backoff.max.ms': 500, ...config } });
  open.push(p);
  return p;
}

describe('Producer faults', () => {
  test('with the broker unreachable, every pending delivery rejects with a timed-out KafkaError', async () => {
    const p = createProducer({ brokers: UNREACHABLE, config: { 'message.timeout.ms': 1500 } });
    const errors: KafkaError[] = [];
    p.on('error', (e) => errors.push(e));
    const outcomes = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => p.produce({ topic: 'never', value: `v${i}` })));
    for (const o of outcomes) {
      expect(o.status).toBe('rejected');
      const reason = (o as PromiseRejectedResult).reason as KafkaError;
      expect(reason).toBeInstanceOf(KafkaError);
      expect(reason.rdName).toBe('_MSG_TIMED_OUT');
      expect(reason.retriable).toBe(true);
    }
    expect(errors.some((e) => e.rdName === '_TRANSPORT' || e.rdName === '_ALL_BROKERS_DOWN')).toBe(true);
    expect(p.isHealthy()).toBe(false);
    expect(p.queueLength()).toBe(0);
    await p.close(1000);
  });

  test('close() on an unreachable broker settles every pending promise instead of hanging', async () => {
    const p = createProducer({ brokers: UNREACHABLE });
    const pending = Array.from({ length: 100 }, () => p.produce({ topic: 'never', value: 'x' }));
    await p.close(300);
    const outcomes = await Promise.allSettled(pending);
    expect(outcomes.every((o) => o.status === 'rejected' && (o.reason as unknown) instanceof KafkaError)).toBe(true);
  });

  // With idempotence, librdkafka 2.0.2 fails these a few seconds after message.timeout.ms (PID re-acquisition), so
  // the test allows more than the timeout itself; what matters is that every promise settles with a typed error.
  test('a broker that stops mid-stream fails the later deliveries with typed errors (mock cluster)', async () => {
    const p = mockProducer();
    const topic = uniqueName('mock');
    const before = await Promise.all(Array.from({ length: 50 }, (_, i) => p.produce({ topic, value: `a${i}` })));
    expect(before.length).toBe(50);
    mockClusterOf(p.handle).setBrokerDown(1);
    const after = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => p.produce({ topic, value: `b${i}` })));
    for (const o of after) {
      expect(o.status).toBe('rejected');
      expect(['_MSG_TIMED_OUT', '_TRANSPORT']).toContain(((o as PromiseRejectedResult).reason as KafkaError).rdName);
    }
    expect(p.isHealthy()).toBe(false);
    mockClusterOf(p.handle).setBrokerUp(1);
    // Once the broker is back, a caller that retries (as the edge does after a 503) gets through again.
    let recovered: DeliveryReport | undefined;
    for (let attempt = 0; attempt < 10 && !recovered; attempt++) {
      recovered = await p.produce({ topic, value: 'back' }).catch(() => undefined);
    }
    expect(recovered?.topic).toBe(topic);
    expect(p.isHealthy()).toBe(true);
  }, 60_000);

  test('transient broker errors are retried by librdkafka and the delivery still succeeds', async () => {
    const p = mockProducer();
    const topic = uniqueName('mock');
    // One key, so both land in one partition: unkeyed, the sticky partitioner may pick another for the second.
    const first = await p.produce({ topic, key: 'k', value: 'warm-up' });
    mockClusterOf(p.handle).pushRequestErrors(0, [19, 19, 19]); // Produce: NOT_ENOUGH_REPLICAS x3
    const report = await p.produce({ topic, key: 'k', value: 'retried' });
    expect(report.partition).toBe(first.partition);
    expect(report.offset).toBe(first.offset + 1n);
  });

  test('a message the broker acknowledges without an offset is reported as uncertain and retriable, never as stored', async () => {
    const p = mockProducer();
    const topic = uniqueName('mock');
    const first = await p.produce({ topic, key: 'k', value: 'warm-up' });
    // DUPLICATE_SEQUENCE_NUMBER: librdkafka 2.0 takes it as success, though this message was never written.
    mockClusterOf(p.handle).pushRequestErrors(0, [46]);
    const err = (await p.produce({ topic, key: 'k', value: 'claimed' }).catch((e: unknown) => e)) as KafkaError;
    expect(err).toBeInstanceOf(KafkaError);
    expect(err.rdName).toBe('_DELIVERY_UNCERTAIN');
    expect(err.retriable).toBe(true);
    const again = await p.produce({ topic, key: 'k', value: 'claimed' });
    expect(again.offset).toBe(first.offset + 1n);
  });

  test('a non-retriable broker error rejects the delivery with the broker error name', async () => {
    const p = mockProducer({ 'enable.idempotence': false });
    const topic = uniqueName('mock');
    await p.produce({ topic, value: 'warm-up' });
    mockClusterOf(p.handle).pushRequestErrors(0, [29]); // TOPIC_AUTHORIZATION_FAILED
    const err = (await p.produce({ topic, value: 'denied' }).catch((e: unknown) => e)) as KafkaError;
    expect(err).toBeInstanceOf(KafkaError);
    expect(err.rdName).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(err.code).toBe(29);
  });

  test('a process whose broker is unreachable exits by itself after close()', async () => {
    const script = `
      import { createProducer } from ${JSON.stringify(join(import.meta.dir, 'index.ts'))};
      const p = createProducer({ brokers: '${UNREACHABLE}', config: { 'message.timeout.ms': 800 } });
      const err = await p.produce({ topic: 't', value: 'x' }).catch((e) => e);
      await p.close(500);
      console.log('settled:' + err.rdName);
    `;
    const proc = Bun.spawn([process.execPath, '-e', script], { stdout: 'pipe', stderr: 'ignore', timeout: 30_000 });
    const [out, code] = [await new Response(proc.stdout).text(), await proc.exited];
    expect(out.trim()).toBe('settled:_MSG_TIMED_OUT');
    expect(proc.signalCode).toBeNull();
    expect(code).toBe(0);
  }, 40_000);
});

describe('Consumer faults', () => {
  test('a consumer with no reachable broker polls nothing, reports the error, and closes', async () => {
    const c = createConsumer({ brokers: UNREACHABLE, groupId: uniqueName('down'), topics: ['never'] });
    const errors: KafkaError[] = [];
    c.on('error', (e) => errors.push(e));
    expect(await c.poll(10, 1500)).toEqual([]);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toBeInstanceOf(KafkaError);
    await c.close(1000);
    await expect(c.poll()).rejects.toBeInstanceOf(KafkaError);
  });
});
