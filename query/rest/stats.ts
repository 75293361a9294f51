import type { GatewayContext } from '../context.ts';
import { summarize } from '../live.ts';
import { iso, json } from './http.ts';

const asObject = (counts: Array<{ value: string; count: number }>) => Object.fromEntries(counts.map((c) => [c.value, c.count]));

/** GET /api/stats: liveStats in the older services' snake_case shape. */
export async function apiStats(ctx: GatewayContext): Promise<Response> {
  const live = summarize(await ctx.liveStats(), { now: Date.now(), rateWindowSeconds: ctx.config.rateWindowSeconds });
  return json({
    total_events: live.total,
    events_by_type: asObject(live.byType),
    events_by_source: asObject(live.bySource),
    events_per_second: live.eventsPerSecond,
    latency_ms: { p50: live.latency.p50Ms, p95: live.latency.p95Ms, p99: live.latency.p99Ms, count: live.latency.count },
    per_minute: live.perMinute.map((m) => ({ minute: iso(m.at), count: m.count })),
    generated_at: iso(live.at),
  });
}

/** GET /api/metrics: the gateway's own metrics in the Prometheus text format. */
export function apiMetrics(ctx: GatewayContext): Response {
  if (ctx.dlq) ctx.metrics.dlqBuffered.set({}, ctx.dlq.buffered());
  return new Response(ctx.metrics.registry.render(), { headers: { 'content-type': 'text/plain; version=0.0.4' } });
}
