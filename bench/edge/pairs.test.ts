import { describe, expect, test } from 'bun:test';
import { abbaOrder, alternate, pooledCpuUsPerEvent } from './pairs.ts';

/** A leg of `seconds` at `eventsPerSecond`, its edge spending `cpuUs` per event. */
const leg = (eventsPerSecond: number, cpuUs: number, seconds = 6) => ({ eventsPerSecond, events: eventsPerSecond * seconds, cpuSeconds: (eventsPerSecond * seconds * cpuUs) / 1e6 });

describe('on/off pairs in ABBA legs', () => {
  test('legs alternate A B, B A, so each side runs first in half the blocks', () => {
    expect(abbaOrder(4).join('')).toBe('abbaabba');
    expect(abbaOrder(1).join('')).toBe('ab');
  });

  test('a drift of the host that is linear in time leaves the ratio of two equal systems at 1', async () => {
    // Both sides are the same system on a host slowing down by 1,000 events/s per leg.
    const result = await alternate({ a: 'on', b: 'off', blocks: 4, run: async (_leg, index) => leg(30_000 - 1_000 * index, 40) });
    expect(result.a / result.b).toBe(1);
    expect(result.legs.map((l) => l.which).join('')).toBe('abbaabba');
  });

  test('a real difference between the sides survives the drift', async () => {
    const result = await alternate({ a: 'on', b: 'off', blocks: 2, run: async (side, index) => leg((side === 'on' ? 0.9 : 1) * (30_000 - 1_000 * index), 40) });
    expect(result.a / result.b).toBeCloseTo(0.9, 5);
  });

  test('each side reports its edge CPU per event, and a feature that costs 10% more CPU shows as 1.1 whatever the rates', async () => {
    // The host's share for the edges swings from leg to leg; the CPU each event costs does not.
    const rates = [31_000, 22_000, 35_000, 18_000];
    const result = await alternate({ a: 'on', b: 'off', blocks: 2, run: async (side, index) => leg(rates[index]!, side === 'on' ? 44 : 40) });
    expect(result.cpuUsPerEvent.a).toBeCloseTo(44, 6);
    expect(result.cpuUsPerEvent.b).toBeCloseTo(40, 6);
    expect(result.cpuUsPerEvent.a / result.cpuUsPerEvent.b).toBeCloseTo(1.1, 6);
    expect(result.legs[0]).toMatchObject({ which: 'a', eventsPerSecond: 31_000, events: 186_000 });
  });

  test('CPU per event pools the legs, so a leg with more events weighs more', () => {
    expect(pooledCpuUsPerEvent([{ cpuSeconds: 1, events: 100_000 }, { cpuSeconds: 3, events: 100_000 }])).toBeCloseTo(20, 9);
    expect(pooledCpuUsPerEvent([{ cpuSeconds: 0.1, events: 1_000 }, { cpuSeconds: 3, events: 299_000 }])).toBeCloseTo(10.333, 3);
  });

  test('a side that acknowledged no event has no CPU per event', () => {
    expect(pooledCpuUsPerEvent([{ cpuSeconds: 2, events: 0 }])).toBeNaN();
    expect(pooledCpuUsPerEvent([])).toBeNaN();
  });
});
