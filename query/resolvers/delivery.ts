import type { GatewayContext } from '../context.ts';
import { badInput } from '../errors.ts';
import { checkRange } from '../search.ts';
import type { MinuteRange } from './delivery-stores.ts';

const MINUTE_MS = 60_000;

/** Whole minutes covering [from, to): from rounded down, to rounded up to a minute boundary. */
export function minutesOf(from: number, to: number): MinuteRange {
  const start = Math.floor(from / MINUTE_MS) * MINUTE_MS;
  return { start, minutes: Math.ceil((to - start) / MINUTE_MS) };
}

interface DeliveryArgs {
  from: number;
  to: number;
  source?: string | null;
}

function delivery(_: unknown, { from, to, source }: DeliveryArgs, ctx: GatewayContext) {
  checkRange(from, to);
  const range = minutesOf(from, to);
  const max = ctx.config.deliveryMaxMinutes;
  if (range.minutes > max) {
    throw badInput(`${range.minutes} minutes between from and to; delivery covers at most ${max} (QUERY_DELIVERY_MAX_MINUTES)`, { argument: 'to', issue: 'range_too_long', limit: max });
  }
  return ctx.delivery(range, source ?? null);
}

export const deliveryResolvers = {
  Query: { delivery },
};
