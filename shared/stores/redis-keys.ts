import { logLinearBuckets } from '../telemetry/metrics.ts';
/**
 * The Redis key layout, in one place: the workers' Redis sink (workers/sinks/redis) writes these keys and the query
 * gateway reads them (through redis-readers.ts), so both import this module rather than spelling key names. `P` is the
 * configured prefix (default `el:`).
 *
 * | key                      | type   | content                                                                 | expiry                  |
 * |--------------------------|--------|-------------------------------------------------------------------------|-------------------------|
 * | P seen:<event id>        | string | `1`; present = this event's effects were applied (de-duplication)       | seenTtlSeconds          |
 * | P total                  | string | events counted, ever                                                    | none                    |
 * | P by_type                | hash   | event type -> count; once it holds maxTypes types, events of any        | none                    |
 * |                          |        | other type count under `(other)` (OTHER)                                |                         |
 * | P by_source              | hash   | source -> count (`(none)` for events without one); once it holds        | none                    |
 * |                          |        | maxSources sources, events of any other source count under `(other)`    |                         |
 * | P sec:<epoch second>     | string | events whose receivedAt falls in that second                            | perSecondTtl after it   |
 * | P min:<epoch minute>     | string | events whose receivedAt falls in that minute (epoch minute = s / 60)    | perMinuteTtl after it   |
 * | P latency:<epoch minute> | hash   | latency bucket upper bound in ms (or `+Inf`) -> count, for events       | perMinuteTtl after it   |
 * |                          |        | *processed* in that minute; latency = processing time - receivedAt      |                         |
 * | P latest:<event key>     | hash   | value, unit?, timestamp (ISO), ts_ms, id of the newest event by         | latestTtl after update  |
 * |                          |        | timestamp, for the types in `latestTypes` (sensor_id is the event key)  |                         |
 * | P recent                 | list   | compact JSON {id,type,source?,key,timestamp}, newest written first      | none, capped by LTRIM   |
 *
 * Time buckets use the edge's `receivedAt`, not the client's `timestamp`: it is set by our clock, so buckets show
 * arrival rate even when clients' clocks are wrong or they back-fill old events, and a re-delivered event maps to the
 * same bucket it was first counted in. Latency histograms are bucketed by processing minute instead, because they
 * describe how the pipeline is doing now.
 */
export interface KeyLayout {
  readonly seen: (eventId: string) => string;
  /** What `seen` puts before the id, for the sink's script, which builds the key itself. */
  readonly seenPrefix: string;
  readonly total: string;
  readonly byType: string;
  readonly bySource: string;
  readonly perSecond: (epochSec: number) => string;
  readonly perMinute: (epochMin: number) => string;
  readonly latency: (epochMin: number) => string;
  readonly latest: (eventKey: string) => string;
  readonly recent: string;
}

export function keys(prefix: string): KeyLayout {
  return {
    seen: (eventId) => `${prefix}seen:${eventId}`,
    seenPrefix: `${prefix}seen:`,
    total: `${prefix}total`,
    byType: `${prefix}by_type`,
    bySource: `${prefix}by_source`,
    perSecond: (epochSec) => `${prefix}sec:${epochSec}`,
    perMinute: (epochMin) => `${prefix}min:${epochMin}`,
    latency: (epochMin) => `${prefix}latency:${epochMin}`,
    latest: (eventKey) => `${prefix}latest:${eventKey}`,
    recent: `${prefix}recent`,
  };
}

/** The `by_source` field for events that carry no source, so the per-source counts still add up to the total. */
export const NO_SOURCE = '(none)';

/**
 * The `by_type` and `by_source` field for events whose type or source came after the map reached its cap, so the
 * counts still add up to the total. Parentheses are outside the characters a type may have (shared/contracts), so no
 * real type can be mistaken for it.
 */
export const OTHER = '(other)';

export const epochSecond = (ms: number): number => Math.floor(ms / 1000);
export const epochMinute = (ms: number): number => Math.floor(ms / 60_000);

/**
 * Latency bucket upper bounds in ms: log-linear, 10 per decade from 1 ms to 60 s (the Prometheus latency layout,
 * shared/telemetry/metrics.ts), then 2, 5, 10 and 20 minutes for backlogs after an outage: 51 possible hash fields per
 * minute, of which only those with events exist. With a 1-2-5 scale the dashboard's percentiles sat on 10/50/100 ms
 * bounds; ten steps per decade and interpolation put them within a step of the true value.
 */
export const LATENCY_BOUNDS_MS: readonly number[] = [...logLinearBuckets({ from: 1, to: 60_000 }), 120_000, 300_000, 600_000, 1_200_000];
export const LATENCY_OVERFLOW = '+Inf';

/** The hash field a latency is counted under: the smallest bound >= it. Clock skew can make it negative; that is 0. */
export function latencyField(latencyMs: number): string {
  let lo = 0;
  let hi = LATENCY_BOUNDS_MS.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (latencyMs <= LATENCY_BOUNDS_MS[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo < LATENCY_BOUNDS_MS.length ? String(LATENCY_BOUNDS_MS[lo]) : LATENCY_OVERFLOW;
}

/**
 * The q-quantile (0 < q <= 1) of merged bucket counts, interpolated linearly inside the bucket it falls in (from the
 * bound below, 0 for the first), as Prometheus' histogram_quantile does. Fields are read as numbers whatever layout
 * wrote them, so minutes written with an older set of bounds still merge. Overflow reports the largest finite bound,
 * so the result is always a finite number; null when there is no data.
 */
export function quantile(counts: ReadonlyMap<string, number>, q: number): number | null {
  const buckets = [...counts]
    .map(([field, n]) => [field === LATENCY_OVERFLOW ? Infinity : Number(field), n] as const)
    .filter(([bound, n]) => !Number.isNaN(bound) && n > 0)
    .sort((a, b) => a[0] - b[0]);
  const total = buckets.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  let previous = 0;
  for (const [bound, n] of buckets) {
    if (seen + n >= rank) {
      if (bound === Infinity) return Math.max(previous, LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]!);
      // Empty buckets have no field, so the bucket's own lower edge comes from the layout, not the field before it.
      const lower = Math.max(previous, LATENCY_BOUNDS_MS.findLast((b) => b < bound) ?? 0);
      return lower + (bound - lower) * ((rank - seen) / n);
    }
    seen += n;
    previous = bound;
  }
  return previous;
}
