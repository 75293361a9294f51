import type { GatewayContext } from '../context.ts';
import { StoreUnavailable } from '../errors.ts';
import { countBody, totalOf } from '../search.ts';
import { countEventsInPostgres } from '../sensor-data.ts';
import { iso, json, RestError, timeParam } from './http.ts';

/**
 * GET /analytics/events/count?from_ts=&to_ts=[&type=]: events whose timestamp is in [from_ts, to_ts). Counted by the
 * search node, or by Postgres when the node is down (`source` says which answered).
 */
export async function eventsCount(url: URL, ctx: GatewayContext): Promise<Response> {
  const from = timeParam(url.searchParams, 'from_ts');
  const to = timeParam(url.searchParams, 'to_ts');
  if (from !== null && to !== null && from >= to) throw new RestError(400, 'invalid_parameter', 'from_ts must be before to_ts', { parameter: 'from_ts' });
  const type = url.searchParams.get('type') || null;
  const answer = (count: number, source: string) => json({ count, from_ts: iso(from), to_ts: iso(to), ...(type && { type }), source });
  try {
    const response = await ctx.search.load(countBody({ from, to, types: type ? [type] : null }));
    return answer(totalOf(response), 'elasticsearch');
  } catch (error) {
    // Postgres has no per-type index worth scanning for this, so the fallback only covers the untyped count.
    if (!(error instanceof StoreUnavailable) || type) throw error;
    return answer(await ctx.read('postgres', () => countEventsInPostgres(ctx.stores.sql, ctx.config.pgSchema, from, to)), 'postgres');
  }
}
