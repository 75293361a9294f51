import type { Sql } from 'postgres';
import type { StampedEvent } from '../shared/contracts/index.ts';

/** Shared by the pipeline tests (REST, GraphQL, dashboard): a definition that uses every kind of step. */
export const ORDER_TOTALS = {
  name: 'Order totals',
  description: 'Orders of 12 or more, with their region joined, summed per region and minute',
  source: { topic: 'events', types: ['order.created'] },
  steps: [
    { type: 'filter', where: { field: 'data.amount', op: 'gte', value: 12 } },
    { type: 'enrich', table: 'regions', on: 'data.region', into: 'data.region_info' },
    { type: 'map', computed: { 'data.cents': 'data.amount * 100' }, drop: ['data.note'] },
    { type: 'aggregate', window: { kind: 'tumbling', size: '1m' }, field: 'data.amount', functions: ['count', 'sum', 'avg', 'p95'], groupBy: 'data.region' },
  ],
};

/** The same with a window size the contract refuses, in step 3. */
export const BAD_WINDOW = { ...ORDER_TOTALS, steps: ORDER_TOTALS.steps.map((s, i) => (i === 3 ? { ...s, window: { kind: 'tumbling', size: '1 minute' } } : s)) };

export function order(n: number, amount: number, region: string, at = '2026-03-01T12:00:30.000Z'): StampedEvent {
  return {
    id: `order-${n}`, type: 'order.created', source: 'checkout', key: `o-${n}`, timestamp: at, receivedAt: at,
    data: { order_id: `o-${n}`, amount, region, note: 'gift wrap' },
  };
}

/** Row counts of every table a dry run could write to, to show it wrote nothing. */
export async function tableCounts(sql: Sql, schema: string): Promise<Record<string, number>> {
  const tables = await sql<Array<{ name: string }>>`select table_name as name from information_schema.tables where table_schema = ${schema} order by 1`;
  const counts: Record<string, number> = {};
  for (const { name } of tables) {
    const [row] = await sql.unsafe<Array<{ n: string }>>(`select count(*) as n from ${schema}."${name}"`);
    counts[name] = Number(row?.n);
  }
  return counts;
}

/** Window rows as the runtime's window operator keeps them (shared/stores/windows.ts), inserted directly; step 3 is ORDER_TOTALS' aggregate. */
export async function insertWindows(
  sql: Sql,
  schema: string,
  rows: ReadonlyArray<{ pipelineId: string; key: string; start: string; end: string; count: number; sum: number; avg: number; closed?: boolean }>,
): Promise<void> {
  for (const r of rows) {
    await sql.unsafe(
      `insert into ${schema}.window_results (pipeline_id, step, group_key, window_start, window_end, count, sum, avg, min, max, p50, p95, p99, closed, updated_at)
       values ($1, 3, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, now())`,
      [r.pipelineId, r.key, r.start, r.end, r.count, r.sum, r.avg, r.avg, r.avg, r.avg, r.avg, r.avg, r.closed ?? true],
    );
  }
}
