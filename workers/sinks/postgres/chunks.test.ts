import { describe, expect, test } from 'bun:test';
import { chunksByLength } from './chunks.ts';

const texts = (lengths: number[]) => lengths.map((n) => 'x'.repeat(n));
const split = (lengths: number[], max: number) => [...chunksByLength(texts(lengths), max, (t) => t)].map((c) => c.items.map((t) => t.length));

describe('splitting a batch by the length of its data', () => {
  test('a batch within the limit stays one chunk', () => {
    expect(split([10, 20, 30], 60)).toEqual([[10, 20, 30]]);
  });

  test('a batch over the limit is split in order, no chunk over the limit', () => {
    expect(split([30, 30, 30, 10, 50, 5], 60)).toEqual([[30, 30], [30, 10], [50, 5]]);
  });

  test('an item longer than the limit goes out alone rather than being lost', () => {
    expect(split([5, 100, 5, 5], 60)).toEqual([[5], [100], [5, 5]]);
  });

  test('an empty batch has no chunks', () => {
    expect(split([], 60)).toEqual([]);
  });

  test('each chunk carries the texts of its own items', () => {
    const chunks = [...chunksByLength([{ n: 1 }, { n: 22 }, { n: 333 }], 16, (item) => JSON.stringify(item))];
    expect(chunks.map((c) => c.texts)).toEqual([['{"n":1}', '{"n":22}'], ['{"n":333}']]);
  });

  test('texts are made only as their chunk is reached', () => {
    const made: number[] = [];
    const chunks = chunksByLength([1, 2, 3, 4], 2, (n) => {
      made.push(n);
      return 'x';
    });
    chunks.next();
    expect(made).toEqual([1, 2, 3]);
  });
});
