import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { randomBytes } from 'node:crypto';
import { lostCode } from './losses.ts';
import { edgeFixture, get, post, waitFor, type EdgeFixture } from './testing.ts';

// A topic on the real broker that refuses records over 2 KB: the edge accepts the event (it is far under its own
// 1 MiB limit), librdkafka queues it, and the broker turns the batch down with MSG_SIZE_TOO_LARGE after the answer.
let edge: EdgeFixture;
const logged: string[] = [];

beforeAll(async () => {
  edge = await edgeFixture({ what: 'lost', partitions: 1, topicConfig: { 'max.message.bytes': '2048' }, log: (line) => logged.push(line) });
}, 60_000);
afterAll(async () => {
  await edge?.close();
});

const metricLines = async () => (await get(edge.adminApp, '/metrics')).text.split('\n');
const lostLine = (code: string) => `edge_events_total{outcome="lost_after_ack",code="${code}"}`;
// Base64 of random bytes: lz4 cannot shrink it under the topic's limit.
const tooBigForTopic = () => ({ type: 'lost.big', data: { blob: randomBytes(6000).toString('base64') } });

describe('?ack=queued deliveries that fail after the answer', () => {
  test('an event Kafka refuses after its 202 is counted as lost_after_ack and logged with its id and the error', async () => {
    const res = await post(edge.app, '/v1/events?ack=queued', tooBigForTopic());
    expect(res.status).toBe(202);
    const item = res.body.results[0]!;
    if (item.status !== 'accepted') throw new Error('not accepted');

    await waitFor(async () => (await metricLines()).some((l) => l.startsWith(lostLine('msg_size_too_large'))), 30_000, 'the loss to be counted');
    expect(await metricLines()).toContain(`${lostLine('msg_size_too_large')} 1`);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain(item.id);
    expect(logged[0]).toContain('msg_size_too_large');
    expect(logged[0]).toContain('ack=queued');
  }, 60_000);

  test('the same event with the default acknowledgement is answered as not delivered instead, and is not counted as lost', async () => {
    const res = await post(edge.app, '/v1/events', tooBigForTopic());
    expect(res.status).toBe(400);
    expect(res.body.results[0]).toMatchObject({ status: 'rejected', code: 'delivery_failed' });
    expect(await metricLines()).toContain(`${lostLine('msg_size_too_large')} 1`);
    expect(logged).toHaveLength(1);
  }, 60_000);

  test('an ?ack=queued event Kafka takes is not counted as lost', async () => {
    const res = await post(edge.app, '/v1/events?ack=queued', { type: 'lost.small', data: { n: 1 } });
    expect(res.status).toBe(202);
    await waitFor(() => edge.publisher.queueDepth() === 0, 30_000, 'the producer queue to drain');
    const lines = await metricLines();
    expect(lines.filter((l) => l.startsWith('edge_events_total{outcome="lost_after_ack"'))).toEqual([`${lostLine('msg_size_too_large')} 1`]);
    expect(logged).toHaveLength(1);
  }, 60_000);

  test('the code label is librdkafka\'s error name from a fixed list, anything else is other', () => {
    expect(lostCode('_MSG_TIMED_OUT')).toBe('msg_timed_out');
    expect(lostCode('MSG_SIZE_TOO_LARGE')).toBe('msg_size_too_large');
    expect(lostCode('_PURGE_QUEUE')).toBe('purge_queue');
    expect(lostCode('SOMETHING_NEW')).toBe('other');
  });
});
