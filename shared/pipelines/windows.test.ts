import { describe, expect, test } from 'bun:test';
import { addValue, emptyAccumulator, mergeAccumulators, quantileOf, statsOf, timingOf, windowsFor, type TimeWindow } from './windows.ts';

const T0 = Date.parse('2024-05-01T10:00:00.000Z');
const S = 1000;

const assignments: Array<[string, Parameters<typeof timingOf>[0], number, TimeWindow[]]> = [
  ['tumbling: an event inside the window', { kind: 'tumbling', size: '1m', allowedLateness: '0s' }, T0 + 30 * S, [{ start: T0, end: T0 + 60 * S }]],
  ['tumbling: the start is inclusive', { kind: 'tumbling', size: '1m', allowedLateness: '0s' }, T0, [{ start: T0, end: T0 + 60 * S }]],
  ['tumbling: the end is exclusive', { kind: 'tumbling', size: '1m', allowedLateness: '0s' }, T0 + 60 * S, [{ start: T0 + 60 * S, end: T0 + 120 * S }]],
  [
    'hopping: an event falls in size/hop windows',
    { kind: 'hopping', size: '1m', hop: '30s', allowedLateness: '0s' },
    T0 + 40 * S,
    [
      { start: T0, end: T0 + 60 * S },
      { start: T0 + 30 * S, end: T0 + 90 * S },
    ],
  ],
  ['hopping with gaps: an event in a gap is in no window', { kind: 'hopping', size: '10s', hop: '1m', allowedLateness: '0s' }, T0 + 30 * S, []],
  ['tumbling: times before 1970 align too', { kind: 'tumbling', size: '1h', allowedLateness: '0s' }, -1, [{ start: -3_600_000, end: 0 }]],
];

describe('window assignment', () => {
  test.each(assignments)('%s', (_name, spec, time, expected) => {
    expect(windowsFor(time, timingOf(spec))).toEqual(expected);
  });

  test('timing reads size, hop and allowed lateness', () => {
    expect(timingOf({ kind: 'hopping', size: '5m', hop: '1m', allowedLateness: '30s' })).toEqual({ sizeMs: 300_000, hopMs: 60_000, latenessMs: 30_000 });
  });
});

const fill = (values: Array<number | undefined>) => values.reduce((acc, v) => addValue(acc, v), emptyAccumulator());

describe('accumulators', () => {
  test.each([
    ['values (percentiles within 2%)', [3, 1, 2], { count: 3, sum: 6, avg: 2, min: 1, max: 3, p50: expect.closeTo(2, 1), p95: 3, p99: 3 }],
    ['count-only events', [undefined, undefined], { count: 2, sum: null, avg: null, min: null, max: null, p50: null, p95: null, p99: null }],
    ['a mix counts every event but averages only values', [10, undefined, 20], { count: 3, sum: 30, avg: 15, min: 10, max: 20, p50: 10, p95: 20, p99: 20 }],
    ['negative and zero values', [-5, 0, 5], { count: 3, sum: 0, avg: 0, min: -5, max: 5, p50: 0, p95: 5, p99: 5 }],
    ['a single value is exact in every percentile', [123.456], { count: 1, sum: 123.456, avg: 123.456, min: 123.456, max: 123.456, p50: 123.456, p95: 123.456, p99: 123.456 }],
  ] as const)('%s', (_name, values, expected) => {
    expect(statsOf(fill([...values]))).toEqual(expected);
  });

  test('percentiles of 1..1000 are within 2% of the exact nearest-rank value', () => {
    const acc = fill(Array.from({ length: 1000 }, (_, i) => i + 1));
    for (const [q, exact] of [[0.5, 500], [0.95, 950], [0.99, 990]] as const) {
      expect(Math.abs(quantileOf(acc, q)! - exact) / exact).toBeLessThan(0.02);
    }
  });

  test('merging partials gives the same statistics as accumulating everything in one', () => {
    const values = Array.from({ length: 200 }, (_, i) => ((i * 37) % 101) - 20);
    const merged = mergeAccumulators(mergeAccumulators(fill(values.slice(0, 50)), fill(values.slice(50, 120))), fill(values.slice(120)));
    expect(statsOf(merged)).toEqual(statsOf(fill(values)));
  });

  test('merging with an empty accumulator changes nothing', () => {
    const acc = fill([1, 2, 3]);
    expect(mergeAccumulators(emptyAccumulator(), acc)).toEqual(acc);
  });
});
