import type { GatewayContext } from '../context.ts';
import type { DeadLetter, DeadLetterFilter } from '../dlq/reader.ts';
import { badInput, StoreUnavailable } from '../errors.ts';
import { pageSize } from './paging.ts';

interface DeadLettersArgs {
  filter?: DeadLetterFilter | null;
  first?: number | null;
  after?: string | null;
}

const cursorOf = (d: DeadLetter) => Buffer.from(`dlq:${d.seq}`).toString('base64url');

function seqOf(cursor: string): number {
  const m = /^dlq:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw badInput('`after` is not a cursor this API returned', { argument: 'after' });
  return Number(m[1]);
}

function deadLetters(_: unknown, { filter, first, after }: DeadLettersArgs, ctx: GatewayContext) {
  const size = pageSize(first, ctx.config.maxFirst, 'first');
  const before = after ? seqOf(after) : undefined;
  if (!ctx.dlq) throw new StoreUnavailable('kafka');
  const page = ctx.dlq.page(filter ?? {}, size, before);
  const edges = page.items.map((node) => ({ cursor: cursorOf(node), node }));
  return {
    edges,
    nodes: page.items,
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount: page.totalCount,
    buffered: ctx.dlq.buffered(),
    dropped: ctx.dlq.dropped(),
  };
}

export const deadLetterResolvers = {
  Query: { deadLetters },
  DeadLetter: {
    id: (d: DeadLetter) => `${d.partition}:${d.offset}`,
    origin: (d: DeadLetter) => ({ topic: d.originTopic, partition: d.originPartition, offset: d.originOffset }),
  },
};
