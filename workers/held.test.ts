import { describe, expect, test } from 'bun:test';
import type { ConsumedMessage } from '../shared/kafka/index.ts';
import { batchCut, stuckPartitions } from './held.ts';

const message = (partition: number, offset: number, bytes: number, keyBytes = 0): ConsumedMessage => ({
  topic: 'events',
  partition,
  offset: BigInt(offset),
  key: keyBytes > 0 ? new Uint8Array(keyBytes) : null,
  value: new Uint8Array(bytes),
  headers: [],
  timestamp: 0,
  timestampType: 'create',
});

describe('cutting a batch by bytes', () => {
  test('messages that fit together form one batch', () => {
    expect(batchCut([message(0, 0, 100), message(0, 1, 100), message(0, 2, 100)], 300)).toBe(3);
  });

  test('the batch ends before the message that would pass the bound, keys counted', () => {
    expect(batchCut([message(0, 0, 100), message(0, 1, 100, 50), message(0, 2, 100)], 300)).toBe(2);
    expect(batchCut([message(0, 0, 200), message(0, 1, 200)], 300)).toBe(1);
  });

  test('a message larger than the bound is a batch of its own rather than never processed', () => {
    expect(batchCut([message(0, 0, 2_000_000), message(0, 1, 10)], 1_000_000)).toBe(1);
  });

  test('an empty poll cuts nothing', () => {
    expect(batchCut([], 100)).toBe(0);
  });
});

describe('the partitions a held batch is stuck on', () => {
  test('each partition once, at its first offset in the batch, with when and why', () => {
    const since = new Date('2026-01-02T03:04:05.000Z');
    const batch = [message(2, 7, 1), message(0, 40, 1), message(2, 8, 1), message(0, 41, 1)];
    expect(stuckPartitions(batch, since, 'dlq_record_refused')).toEqual([
      { topic: 'events', partition: 0, offset: '40', since: '2026-01-02T03:04:05.000Z', reason: 'dlq_record_refused' },
      { topic: 'events', partition: 2, offset: '7', since: '2026-01-02T03:04:05.000Z', reason: 'dlq_record_refused' },
    ]);
  });
});
