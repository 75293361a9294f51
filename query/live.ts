import { OTHER } from '../shared/stores/redis-keys.ts';
import type { LiveStats } from '../shared/stores/redis-readers.ts';

/** LiveStats as the API shows it: times in epoch ms, counts sorted, and a rate for "now". */
export interface LiveSummary {
  readonly at: number;
  readonly total: number;
  readonly byType: Array<{ value: string; count: number }>;
  readonly bySource: Array<{ value: string; count: number }>;
  readonly eventsPerSecond: number;
  readonly perSecond: Array<{ at: number; count: number }>;
  readonly perMinute: Array<{ at: number; count: number }>;
  readonly latency: { count: number; p50Ms: number | null; p95Ms: number | null; p99Ms: number | null };
}

/** Most frequent first; OTHER (the types or sources past the sink's cap, all together) last, whatever its count. */
const sorted = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([value, count]) => ({ value, count }))
    .sort((a, b) => Number(a.value === OTHER) - Number(b.value === OTHER) || b.count - a.count || a.value.localeCompare(b.value));

/**
 * The rate leaves the current second out: it is still filling, so including it would make the rate dip at the start
 * of every second.
 */
export function summarize(stats: LiveStats, { now, rateWindowSeconds }: { now: number; rateWindowSeconds: number }): LiveSummary {
  const complete = stats.perSecond.slice(0, -1).slice(-rateWindowSeconds);
  const window = Math.max(1, complete.length);
  return {
    at: now,
    total: stats.total,
    byType: sorted(stats.byType),
    bySource: sorted(stats.bySource),
    eventsPerSecond: complete.reduce((sum, s) => sum + s.count, 0) / window,
    perSecond: stats.perSecond.map((s) => ({ at: s.at * 1000, count: s.count })),
    perMinute: stats.perMinute.map((m) => ({ at: m.at * 60_000, count: m.count })),
    latency: { count: stats.latency.count, p50Ms: stats.latency.p50, p95Ms: stats.latency.p95, p99Ms: stats.latency.p99 },
  };
}
