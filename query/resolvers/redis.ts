import type { YogaInitialContext } from 'graphql-yoga';
import { readRecent, type LatestValue, type RecentEntry } from '../../shared/stores/redis-readers.ts';
import type { GatewayContext } from '../context.ts';
import { badInput } from '../errors.ts';
import { summarize, type LiveSummary } from '../live.ts';
import { pageSize } from './paging.ts';
import { sleep } from '../../shared/sleep.ts';

/** Resolvers answered by the counters the Redis sink keeps (shared/stores/redis-keys.ts). */

type Context = GatewayContext & Partial<YogaInitialContext>;

async function liveStats(_: unknown, __: unknown, ctx: GatewayContext): Promise<LiveSummary> {
  const now = Date.now();
  return summarize(await ctx.liveStats(), { now, rateWindowSeconds: ctx.config.rateWindowSeconds });
}

async function latest(_: unknown, { key }: { key: string }, ctx: GatewayContext) {
  const value = await ctx.latest.load(key);
  return value && { key, ...value };
}

async function latestValues(_: unknown, { keys }: { keys: string[] }, ctx: GatewayContext) {
  pageSize(keys.length, ctx.config.maxFirst, 'keys', 1);
  const values = await ctx.latest.loadMany(keys);
  return values.map((value, i) => {
    if (value instanceof Error) throw value;
    return value && { key: keys[i], ...value };
  });
}

async function recentEvents(_: unknown, { limit }: { limit?: number | null }, ctx: GatewayContext) {
  const size = pageSize(limit, ctx.config.maxFirst, 'limit');
  const entries = await ctx.redisRead(() => readRecent(ctx.stores.redis, ctx.config.redisPrefix));
  return entries.slice(0, size);
}

const MAX_INTERVAL_MS = 3_600_000;

/** Ticks; each tick is turned into a fresh read by `resolve`, so a Redis outage fails one message, not the stream. */
async function* ticks(intervalMs: number, signal: AbortSignal | undefined): AsyncGenerator<number> {
  for (let n = 0; !signal?.aborted; n++) {
    yield n;
    await sleep(intervalMs, signal);
  }
}

const liveStatsSubscription = {
  subscribe(_: unknown, { intervalMs }: { intervalMs?: number | null }, ctx: Context) {
    const wanted = intervalMs ?? 1000;
    if (!Number.isInteger(wanted) || wanted > MAX_INTERVAL_MS) {
      throw badInput(`\`intervalMs\` must be an integer up to ${MAX_INTERVAL_MS}`, { argument: 'intervalMs' });
    }
    return ticks(Math.max(ctx.config.minIntervalMs, wanted), ctx.request?.signal);
  },
  // Through the shared cache like the liveStats query: N subscribers ticking together cost Redis one read per TTL.
  resolve: (_: number, __: unknown, ctx: Context): Promise<LiveSummary> => liveStats(_, __, ctx),
};

export const redisResolvers = {
  Query: { liveStats, latest, latestValues, recentEvents },
  Subscription: { liveStats: liveStatsSubscription },
  LatestValue: { eventId: (value: LatestValue) => value.id },
  RecentEvent: { event: (entry: RecentEntry, _: unknown, ctx: GatewayContext) => ctx.events.load(entry.id) },
};
