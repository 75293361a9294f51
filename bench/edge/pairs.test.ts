import { describe, expect, test } from 'bun:test';
import { abbaOrder, alternate } from './pairs.ts';

describe('on/off pairs in ABBA legs', () => {
  test('legs alternate A B, B A, so each side runs first in half the blocks', () => {
    expect(abbaOrder(4).join('')).toBe('abbaabba');
    expect(abbaOrder(1).join('')).toBe('ab');
  });

  test('a drift of the host that is linear in time leaves the ratio of two equal systems at 1', async () => {
    // Both sides are the same system on a host slowing down by 1,000 events/s per leg.
    const result = await alternate({ a: 'on', b: 'off', blocks: 4, run: async (_leg, index) => 30_000 - 1_000 * index });
    expect(result.a / result.b).toBe(1);
    expect(result.legs.map((l) => l.which).join('')).toBe('abbaabba');
  });

  test('a real difference between the sides survives the drift', async () => {
    const result = await alternate({ a: 'on', b: 'off', blocks: 2, run: async (leg, index) => (leg === 'on' ? 0.9 : 1) * (30_000 - 1_000 * index) });
    expect(result.a / result.b).toBeCloseTo(0.9, 5);
  });
});
