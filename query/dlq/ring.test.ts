import { describe, expect, test } from 'bun:test';
import { Ring } from './ring.ts';

const held = <T>(ring: Ring<T>) => [...ring.newestFirst()].map(([, item]) => item);

describe('the dead-letter ring', () => {
  test('keeps the newest entries up to its count, oldest going first', () => {
    const ring = new Ring<string>({ capacity: 3 });
    for (const item of ['a', 'b', 'c', 'd', 'e']) ring.push(item, 1);
    expect(held(ring)).toEqual(['e', 'd', 'c']);
    expect({ size: ring.size, dropped: ring.dropped, bytes: ring.bytes }).toEqual({ size: 3, dropped: 2, bytes: 3 });
  });

  test('keeps the newest entries up to its bytes, however few that is', () => {
    const ring = new Ring<string>({ capacity: 100, maxBytes: 10 });
    ring.push('a', 4);
    ring.push('b', 4);
    ring.push('c', 4);
    expect(held(ring)).toEqual(['c', 'b']);
    expect(ring.bytes).toBe(8);
    ring.push('d', 9);
    expect(held(ring)).toEqual(['d']);
    expect({ size: ring.size, dropped: ring.dropped, bytes: ring.bytes }).toEqual({ size: 1, dropped: 3, bytes: 9 });
  });

  test('whichever bound is reached first decides', () => {
    const ring = new Ring<number>({ capacity: 4, maxBytes: 100 });
    for (let n = 0; n < 6; n++) ring.push(n, 1);
    expect(held(ring)).toEqual([5, 4, 3, 2]);
    ring.push(6, 98);
    expect(held(ring)).toEqual([6, 5, 4]);
    expect(ring.bytes).toBe(100);
  });

  test('an entry larger than the byte bound is kept alone, and goes with the next push', () => {
    const ring = new Ring<string>({ capacity: 10, maxBytes: 10 });
    ring.push('a', 3);
    ring.push('huge', 50);
    expect(held(ring)).toEqual(['huge']);
    ring.push('b', 3);
    expect(held(ring)).toEqual(['b']);
    expect(ring.bytes).toBe(3);
  });

  test('sequence numbers keep growing through evictions, so a page cursor stays valid', () => {
    const ring = new Ring<string>({ capacity: 10, maxBytes: 6 });
    const seqs = ['a', 'b', 'c', 'd', 'e'].map((item) => ring.push(item, 2));
    expect(seqs).toEqual([0, 1, 2, 3, 4]);
    expect(ring.nextSeq).toBe(5);
    expect([...ring.newestFirst(4)]).toEqual([[3, 'd'], [2, 'c']]);
    expect([...ring.newestFirst(2)]).toEqual([]);
  });

  test('refuses bounds that could hold nothing', () => {
    expect(() => new Ring({ capacity: 0 })).toThrow(RangeError);
    expect(() => new Ring({ capacity: 1, maxBytes: 0 })).toThrow(RangeError);
  });
});
