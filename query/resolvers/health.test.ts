import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConsumer, createProducer } from '../../shared/kafka/index.ts';
import { topicFixture, uniqueName } from '../../shared/kafka/testing.ts';
import { statusFileWriter } from '../../shared/supervisor-status.ts';
import type { ChildStatus } from '../../shared/supervisor.ts';
import { connections, createRun, graphql } from '../testing.ts';
import { createGateway, type Gateway } from '../yoga.ts';

// The run's own topic and group: messages produced to two partitions, part of them committed as the group.
const run = createRun();
const topics = topicFixture();
const group = uniqueName('query-health');
const statusDir = mkdtempSync(join(tmpdir(), 'event-lens-health-'));
let topic: string;
let gateway: Gateway;

const HEALTH = `{ health {
  checkedAt
  lag { groupId topic up error total worst { partition lag } partitions { partition leader replicas inSync highWatermark committed lag } }
  stores { name up detail }
  processes { supervisor name state pid restarts }
} }`;

const child = (name: string, restarts: number): ChildStatus => ({
  name, state: 'running', pid: 4242, startedAt: new Date().toISOString(), uptimeMs: 1000, restarts, lastExit: null, restartAt: null,
});

beforeAll(async () => {
  topic = await topics.create(3, 'query-health');
  const producer = createProducer({ brokers: connections.kafkaBrokers });
  try {
    const send = (partition: number, n: number) =>
      Array.from({ length: n }, (_, i) => producer.produce({ topic, partition, value: new TextEncoder().encode(`{"n":${i}}`) }));
    await Promise.all([...send(0, 10), ...send(1, 5)]);
  } finally {
    await producer.close();
  }
  // The group has read 4 of partition 0's 10 messages and all 5 of partition 1's; partition 2 is empty.
  const consumer = createConsumer({ brokers: connections.kafkaBrokers, groupId: group, topics: [topic] });
  try {
    await consumer.commit([{ topic, partition: 0, offset: 4n }, { topic, partition: 1, offset: 5n }]);
  } finally {
    await consumer.close();
  }
  statusFileWriter({ file: join(statusDir, 'platform.json'), supervisor: 'platform' })([child('edge', 0), child('workers', 2), child('query', 0)]);
  gateway = createGateway({ config: { ...run.config, workersGroupId: group, workersTopic: topic, processStatusDir: statusDir }, auth: run.auth, dlq: false });
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await topics.cleanup();
  await run.cleanup();
  rmSync(statusDir, { recursive: true, force: true });
});

describe('the health field', () => {
  test('shows the lag per partition of a group whose commits are behind the high watermark, and the worst partition', async () => {
    const { data, errors } = await graphql(run.as('read', gateway.yoga.fetch), HEALTH);
    expect(errors).toBeUndefined();
    const lag = data!.health.lag;
    expect(lag).toMatchObject({ groupId: group, topic, up: true, error: null, total: 6, worst: { partition: 0, lag: 6 } });
    expect(lag.partitions.map((p: { partition: number; highWatermark: number; committed: number | null; lag: number }) => [p.partition, p.highWatermark, p.committed, p.lag])).toEqual([
      [0, 10, 4, 6],
      [1, 5, 5, 0],
      [2, 0, null, 0],
    ]);
    for (const p of lag.partitions) expect(p.inSync).toBe(p.replicas);
  });

  test('shows the search node, Postgres and Redis up', async () => {
    const { data } = await graphql(run.as('read', gateway.yoga.fetch), HEALTH);
    expect(data!.health.stores).toEqual([
      { name: 'elasticsearch', up: true, detail: null },
      { name: 'postgres', up: true, detail: null },
      { name: 'redis', up: true, detail: null },
    ]);
  });

  test('lists the processes of the status files it can read, with their restarts', async () => {
    const { data } = await graphql(run.as('read', gateway.yoga.fetch), HEALTH);
    expect(data!.health.processes).toEqual([
      { supervisor: 'platform', name: 'edge', state: 'running', pid: 4242, restarts: 0 },
      { supervisor: 'platform', name: 'workers', state: 'running', pid: 4242, restarts: 2 },
      { supervisor: 'platform', name: 'query', state: 'running', pid: 4242, restarts: 0 },
    ]);
  });

  test('a folder without status files gives an empty process list, not an error', async () => {
    const elsewhere = createGateway({ config: { ...run.config, workersGroupId: group, workersTopic: topic, processStatusDir: join(statusDir, 'missing') }, auth: run.auth, dlq: false });
    try {
      const { data, errors } = await graphql(run.as('read', elsewhere.yoga.fetch), '{ health { processes { name } lag { up } } }');
      expect(errors).toBeUndefined();
      expect(data!.health).toEqual({ processes: [], lag: { up: true } });
    } finally {
      await elsewhere.close();
    }
  });

  test('needs a key with the read scope', async () => {
    const { errors } = await graphql(gateway.yoga.fetch, '{ health { checkedAt } }');
    expect(errors?.[0]?.extensions?.code).toBe('missing_credentials');
  });
});
