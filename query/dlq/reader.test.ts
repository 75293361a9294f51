import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { StampedEvent } from '../../shared/contracts/index.ts';
import { createRun, eventually, graphql } from '../testing.ts';
import { createGateway, type Gateway } from '../yoga.ts';

// The real path: dead-letter records on a topic of this run's own, read by the gateway's reader, asked through GraphQL.
const run = createRun();
const MAX_BYTES = 64 * 1024; // a record over 4 KiB (a sixteenth) is kept cut
const gateways: Gateway[] = [];

const letter = (n: number, pad: number): StampedEvent => ({
  id: `dead-${n}`,
  type: 'order.created',
  source: 'shop',
  key: `o-${n}`,
  timestamp: '2025-03-10T08:00:00.000Z',
  receivedAt: '2025-03-10T08:00:01.000Z',
  data: { n, pad: 'x'.repeat(pad) },
});
const before = Array.from({ length: 30 }, (_, n) => letter(n, 1_000));
const huge = letter(30, 200_000);
const after = Array.from({ length: 5 }, (_, n) => letter(31 + n, 1_000));
const all = [...before, huge, ...after];

function gatewayWith(config: Record<string, unknown>): Gateway {
  const gateway = createGateway({ config: { ...run.config, ...config }, auth: run.auth });
  gateways.push(gateway);
  return gateway;
}

async function caughtUp(gateway: Gateway): Promise<void> {
  await eventually(() => (gateway.dlq?.consumed() ?? 0) >= all.length, 'the dead-letter reader to catch up');
}

const PAGE = `{ deadLetters(first: 100) { buffered dropped totalCount nodes { eventId eventType truncated payload event } } }`;

beforeAll(async () => {
  // The first one as the workers write a record its topic refused whole: value cut, `truncated` header.
  await run.deadLetter(all.map((event, i) => ({ event, stage: 'postgres' as const, reason: 'too_large', ...(i === 0 && { maxValueBytes: 200 }) })));
});
afterAll(async () => {
  await Promise.all(gateways.map((gateway) => gateway.close()));
  await run.cleanup();
});

describe('the dead letters held in memory', () => {
  test('stay within their byte bound: the oldest go first, the newest are all there', async () => {
    const gateway = gatewayWith({ dlqRingMaxBytes: MAX_BYTES });
    await caughtUp(gateway);
    const { data, errors } = await graphql(run.as('read', gateway.yoga.fetch), PAGE);
    expect(errors).toBeUndefined();
    const { buffered, dropped, totalCount, nodes } = data?.deadLetters;
    // Some 3 KiB per record: all 36 would be over 64 KiB, so only the newest ~20 are held.
    expect(buffered).toBeLessThan(all.length);
    expect(buffered).toBeGreaterThan(10);
    expect(Number(dropped)).toBe(all.length - buffered);
    expect(totalCount).toBe(buffered);
    expect(nodes.map((d: { eventId: string }) => d.eventId)).toEqual(all.slice(-buffered).reverse().map((e) => e.id));
  });

  test('a record too large to keep whole keeps the first part of its payload, says so, and keeps its id and type', async () => {
    const gateway = gatewayWith({ dlqRingMaxBytes: MAX_BYTES });
    await caughtUp(gateway);
    const { data } = await graphql(run.as('read', gateway.yoga.fetch), PAGE);
    const nodes: Array<{ eventId: string; eventType: string; truncated: boolean; payload: string; event: unknown }> = data?.deadLetters.nodes;
    const cut = nodes.find((d) => d.eventId === huge.id);
    expect(cut).toMatchObject({ eventType: 'order.created', truncated: true, event: null });
    expect(cut?.payload).toBe(JSON.stringify(huge).slice(0, MAX_BYTES / 16));
    // The records around it, small enough, are whole.
    const whole = nodes.find((d) => d.eventId === after[0]!.id);
    expect(whole).toMatchObject({ truncated: false, payload: JSON.stringify(after[0]), event: after[0] });
  });

  test('the count bound still holds when the bytes would allow more', async () => {
    const gateway = gatewayWith({ dlqBuffer: 5 });
    await caughtUp(gateway);
    const { data } = await graphql(run.as('read', gateway.yoga.fetch), PAGE);
    expect(data?.deadLetters.buffered).toBe(5);
    expect(data?.deadLetters.nodes.map((d: { eventId: string }) => d.eventId)).toEqual(after.map((e) => e.id).reverse());
  });

  test('a record the workers had to cut for its topic reads as truncated, with its id and the part that was kept', async () => {
    const gateway = gatewayWith({});
    await caughtUp(gateway);
    const { data } = await graphql(run.as('read', gateway.yoga.fetch), PAGE);
    const nodes: Array<{ eventId: string; truncated: boolean; payload: string; event: unknown }> = data?.deadLetters.nodes;
    expect(nodes.find((d) => d.eventId === before[0]!.id)).toMatchObject({ truncated: true, event: null, payload: JSON.stringify(before[0]).slice(0, 200) });
    expect(nodes.find((d) => d.eventId === before[1]!.id)).toMatchObject({ truncated: false });
  });
});
