import { durationMs, type WindowSpec } from '../contracts/pipeline.ts';
import { memoize } from '../memo.ts';

/** A window by event time: [start, end) in epoch ms. */
export interface TimeWindow {
  readonly start: number;
  readonly end: number;
}

export interface WindowTiming {
  readonly sizeMs: number;
  readonly hopMs: number;
  readonly latenessMs: number;
}

export function timingOf(spec: WindowSpec): WindowTiming {
  const sizeMs = durationMs(spec.size);
  return { sizeMs, hopMs: spec.kind === 'hopping' && spec.hop ? durationMs(spec.hop) : sizeMs, latenessMs: durationMs(spec.allowedLateness) };
}

/**
 * The windows an event time falls in, oldest first. Windows are aligned to the epoch (a 1m window starts on the
 * minute), so every worker and every replay assigns an event to the same windows without coordination. Tumbling is
 * hopping with hop = size; a hop larger than the size leaves gaps, and events in a gap belong to no window.
 */
export function windowsFor(timeMs: number, { sizeMs, hopMs }: Pick<WindowTiming, 'sizeMs' | 'hopMs'>): TimeWindow[] {
  const out: TimeWindow[] = [];
  for (let start = Math.floor(timeMs / hopMs) * hopMs; start + sizeMs > timeMs; start -= hopMs) out.unshift({ start, end: start + sizeMs });
  return out;
}

/**
 * A mergeable summary of the values seen: exact count/sum/min/max, and a log-scale histogram for percentiles.
 * Bucket i (of positive values) holds (GAMMA^(i-1), GAMMA^i], so a percentile is reported within ±2% of the true
 * value of its rank, whatever the scale, and two accumulators merge by adding buckets. GAMMA is fixed forever:
 * changing it would make stored partials unmergeable with new ones.
 */
export interface Accumulator {
  /** Events, including those without a numeric value (count-only aggregates). */
  count: number;
  /** Events that had a numeric value: the denominator of avg and of percentile ranks. */
  n: number;
  sum: number;
  min: number | null;
  max: number | null;
  /** Bucket id (`+i`, `-i` or `0`) → values in it. */
  buckets: Record<string, number>;
}

export const GAMMA = 1.04;
const LOG_GAMMA = Math.log(GAMMA);
/** Magnitudes below this go to the zero bucket, so denormals cannot create thousands of buckets. */
const ZERO = 1e-9;

export const emptyAccumulator = (): Accumulator => ({ count: 0, n: 0, sum: 0, min: null, max: null, buckets: {} });

/** Measured values repeat (prices, durations, counts), so recent ones keep their bucket id. */
export const bucketOf = memoize(function bucketOf(value: number): string {
  const magnitude = Math.abs(value);
  return magnitude < ZERO ? '0' : `${value < 0 ? '-' : '+'}${Math.ceil(Math.log(magnitude) / LOG_GAMMA)}`;
}, 50_000);

/**
 * The value a bucket stands for: the point with equal relative distance to both of its edges. Bucket ids are few
 * (about 1,200 cover 1e-9 to 1e12), so each one's value is computed once per process.
 */
export const bucketValue = memoize(function bucketValue(bucket: string): number {
  if (bucket === '0') return 0;
  const magnitude = (2 * GAMMA ** Number(bucket.slice(1))) / (GAMMA + 1);
  return bucket.startsWith('-') ? -magnitude : magnitude;
}, 10_000);

/** Adds one event (with its value, or undefined for a count-only event) in place; returns the accumulator. */
export function addValue(acc: Accumulator, value: number | undefined): Accumulator {
  acc.count += 1;
  if (value === undefined || !Number.isFinite(value)) return acc;
  acc.n += 1;
  acc.sum += value;
  acc.min = acc.min === null ? value : Math.min(acc.min, value);
  acc.max = acc.max === null ? value : Math.max(acc.max, value);
  const b = bucketOf(value);
  acc.buckets[b] = (acc.buckets[b] ?? 0) + 1;
  return acc;
}

/** A new accumulator holding both; merging in a fixed order (by partition) keeps float sums reproducible. */
export function mergeAccumulators(a: Accumulator, b: Accumulator): Accumulator {
  const buckets = { ...a.buckets };
  for (const [k, c] of Object.entries(b.buckets)) buckets[k] = (buckets[k] ?? 0) + c;
  const pick = (x: number | null, y: number | null, f: (p: number, q: number) => number) => (x === null ? y : y === null ? x : f(x, y));
  return { count: a.count + b.count, n: a.n + b.n, sum: a.sum + b.sum, min: pick(a.min, b.min, Math.min), max: pick(a.max, b.max, Math.max), buckets };
}

/** The q-quantile (0 < q <= 1) by nearest rank, from the buckets, clamped into [min, max] (so one value is exact). */
export function quantileOf(acc: Accumulator, q: number): number | null {
  return quantilesOf(acc, [q])[0]!;
}

/**
 * Several quantiles (ascending q) from one sort of the buckets: statsOf asks for three per window, and sorting the
 * buckets three times was a tenth of a worker's CPU with a windowed pipeline (bench:windows).
 */
export function quantilesOf(acc: Accumulator, qs: readonly number[]): Array<number | null> {
  const { n, min, max } = acc;
  if (n === 0 || min === null || max === null) return qs.map(() => null);
  const ordered = Object.entries(acc.buckets)
    .map(([k, c]) => [bucketValue(k), c] as const)
    .sort((x, y) => x[0] - y[0]);
  const out: Array<number | null> = [];
  let seen = 0;
  let i = 0;
  for (const q of qs) {
    const rank = Math.max(1, Math.ceil(q * n));
    while (i < ordered.length && seen + ordered[i]![1] < rank) seen += ordered[i++]![1];
    out.push(i < ordered.length ? Math.min(max, Math.max(min, ordered[i]![0])) : max);
  }
  return out;
}

export interface WindowStats {
  readonly count: number;
  readonly sum: number | null;
  readonly avg: number | null;
  readonly min: number | null;
  readonly max: number | null;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
}

/** What a window reports; value statistics are null when no event in it had a numeric value. */
export function statsOf(acc: Accumulator): WindowStats {
  const valued = acc.n > 0;
  const [p50 = null, p95 = null, p99 = null] = quantilesOf(acc, [0.5, 0.95, 0.99]);
  return {
    count: acc.count,
    sum: valued ? acc.sum : null,
    avg: valued ? acc.sum / acc.n : null,
    min: acc.min,
    max: acc.max,
    p50,
    p95,
    p99,
  };
}
