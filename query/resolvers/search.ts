import type { StampedEvent } from '../../shared/contracts/index.ts';
import type { GatewayContext } from '../context.ts';
import { badInput } from '../errors.ts';
import {
  bucketsFrom,
  bucketsOf,
  checkRange,
  countBody,
  decodeCursor,
  encodeCursor,
  eventOfHit,
  eventsSearchBody,
  histogramBody,
  termsBody,
  totalOf,
  type EventFilter,
  type Interval,
} from '../search.ts';
import { pageSize } from './paging.ts';

/** Resolvers answered by the search node (every read goes through ctx.search, so one request = one _msearch). */

interface EventsArgs {
  query?: string | null;
  filter?: EventFilter | null;
  first?: number | null;
  after?: string | null;
}

interface RangeArgs {
  from?: number | null;
  to?: number | null;
}

interface TermCount {
  value: string;
  count: number;
}

async function events(_: unknown, args: EventsArgs, ctx: GatewayContext) {
  const first = pageSize(args.first, ctx.config.maxFirst, 'first');
  checkRange(args.filter?.from, args.filter?.to);
  const after = args.after ? decodeCursor(args.after) : undefined;
  const response = await ctx.search.load(eventsSearchBody({ query: args.query, filter: args.filter, first, ...(after && { after }) }));
  const edges = response.hits.hits.slice(0, first).flatMap((hit) => {
    const node = eventOfHit(hit);
    return node ? [{ cursor: encodeCursor(hit.sort ?? []), node }] : [];
  });
  return {
    edges,
    nodes: edges.map((edge) => edge.node),
    pageInfo: { hasNextPage: response.hits.hits.length > first, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount: totalOf(response),
  };
}

function event(_: unknown, { id }: { id: string }, ctx: GatewayContext): Promise<StampedEvent | null> {
  return ctx.events.load(id);
}

interface CountsArgs {
  from: number;
  to: number;
  interval?: Interval | null;
  types?: string[] | null;
}

async function eventCounts(_: unknown, { from, to, interval, types }: CountsArgs, ctx: GatewayContext) {
  checkRange(from, to);
  const unit = interval ?? 'MINUTE';
  const buckets = bucketsOf(from, to, unit);
  if (buckets > ctx.config.maxBuckets) {
    throw badInput(`${buckets} buckets of ${unit} between from and to; at most ${ctx.config.maxBuckets} (use a larger interval)`, {
      argument: 'interval',
    });
  }
  const response = await ctx.search.load(histogramBody(from, to, unit, types));
  return bucketsFrom(response, 'over_time').map((b) => ({ start: Number(b.key), count: b.doc_count }));
}

async function countEvents(_: unknown, { from, to, type }: RangeArgs & { type?: string | null }, ctx: GatewayContext) {
  checkRange(from, to);
  const response = await ctx.search.load(countBody({ from, to, types: type == null ? null : [type] }));
  return totalOf(response);
}

function top(field: 'type' | 'source') {
  return async function topTerms(_: unknown, { from, to, limit }: RangeArgs & { limit?: number | null }, ctx: GatewayContext) {
    checkRange(from, to);
    const size = pageSize(limit, ctx.config.maxFirst, 'limit', 10);
    const response = await ctx.search.load(termsBody(field, size, from, to));
    return bucketsFrom(response, 'top').map((b): TermCount => ({ value: String(b.key), count: b.doc_count }));
  };
}

export const searchResolvers = {
  Query: { events, event, eventCounts, countEvents, topTypes: top('type'), topSources: top('source') },
};
