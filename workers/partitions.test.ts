import { describe, expect, test } from 'bun:test';
import type { ConsumedMessage } from '../shared/kafka/index.ts';
import { nextOffsets } from './partitions.ts';

const message = (topic: string, partition: number, offset: number): ConsumedMessage => ({
  topic,
  partition,
  offset: BigInt(offset),
  key: null,
  value: null,
  headers: [],
  timestamp: -1,
  timestampType: 'none',
});

describe('nextOffsets', () => {
  test('commits one past the last message of each partition, whether its messages come in one run or several', () => {
    const batch = [
      message('events', 0, 10),
      message('events', 0, 11),
      message('events', 1, 5),
      message('other', 0, 70),
      message('events', 0, 12),
      message('events', 1, 6),
    ];
    const next = [...nextOffsets(batch).values()].map(({ topic, partition, offset }) => `${topic}[${partition}]@${offset}`);
    expect(next.sort()).toEqual(['events[0]@13', 'events[1]@7', 'other[0]@71']);
  });

  test('an empty batch commits nothing', () => {
    expect(nextOffsets([]).size).toBe(0);
  });
});
