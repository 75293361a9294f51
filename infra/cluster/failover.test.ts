import { beforeAll, describe, expect, test } from 'bun:test';
import { listening } from '../service.ts';
import { runFailover, type FailoverResult } from './scenario.ts';

// `npm run test:cluster`. Three Kafka nodes of its own (.stack/cluster, ports 29092-29097) beside the default broker;
// an edge and a worker on them with the run's own topic, group, index, schema, keys and Redis prefix; a client sending
// 60 requests/s of 4 events for 40 s that resends what it is told to resend; the leader of the busiest partition
// killed with SIGKILL 12 s in and started again 15 s later.
let result: FailoverResult;

describe('a three-node Kafka cluster losing a partition leader under load', () => {
  beforeAll(async () => {
    result = await runFailover({ log: (line) => console.log(`failover: ${line}`) });
    const { load } = result;
    console.log(
      `failover: ${load.accepted.size} events accepted in ${load.requests.length} requests (${load.resends} resends); ` +
        `p99 latency ${result.p99BeforeMs.toFixed(0)} ms before the kill, ${result.p99FailoverMs.toFixed(0)} ms while node ${result.killed.node} was down ` +
        `(${result.failoverNon2xx} of ${result.failoverRequests} requests not 2xx); workers caught up ${result.secondsUntilLagZero?.toFixed(1) ?? 'never'} s after the kill`,
    );
  }, 420_000);

  test('the stack ran three brokers, each reported on its own ports, and stopped all three', async () => {
    expect(result.brokers.map((b) => [b.name, b.state, b.ports])).toEqual([
      ['kafka-1', 'running', [29092, 29093]],
      ['kafka-2', 'running', [29094, 29095]],
      ['kafka-3', 'running', [29096, 29097]],
    ]);
    for (const port of [29092, 29093, 29094, 29095, 29096, 29097]) expect(await listening(port)).toBe(false);
  });

  test('a topic created with the brokers defaults has three replicas and takes a write only with two in sync', () => {
    expect(result.topicDescription).toContain('ReplicationFactor: 3');
    expect(result.topicDescription).toMatch(/Configs: .*min\.insync\.replicas=2/);
    expect(result.topicDescription.match(/Isr: \d+,\d+,\d+/g)?.length).toBe(6);
  });

  test('the leader of the busiest partition was killed while requests kept arriving', () => {
    expect(result.killed.node).toBeGreaterThanOrEqual(1);
    expect(result.failoverRequests).toBeGreaterThan(0);
  });

  test('every event the client sent was accepted in the end, resends included', () => {
    expect([...result.load.failed.entries()].slice(0, 5)).toEqual([]);
    expect(result.load.accepted.size).toBe(60 * 40 * 4);
  });

  test('every accepted event is in Elasticsearch, Postgres and Redis exactly once', () => {
    const accepted = result.load.accepted.size;
    for (const tally of Object.values(result.stores)) expect(tally).toEqual({ total: accepted, missing: 0, duplicates: 0 });
  });

  test('the workers catch up after the failover and the lag drains to zero once the load stops', () => {
    expect(result.secondsUntilLagZero).toBeNumber();
    expect(result.drained).toBe(true);
  });
});
