import type { Sql, TransactionSql } from 'postgres';
import type { AggregateStep } from '../../shared/contracts/pipeline.ts';
import { addValue, emptyAccumulator, mergeAccumulators, statsOf, timingOf, type Accumulator } from '../../shared/pipelines/index.ts';
import { migrateWindows, WINDOW_RESULT_COLUMNS, type WindowResult } from '../../shared/stores/windows.ts';
import { PartialsCache, type PartialRow } from './partials-cache.ts';
import { globalWatermark, isoText as iso, planBatch, resultId, targetId, type LateEvent, type PartitionState, type Plan, type Target, type WindowItem } from './plan.ts';

export interface AggregateTask {
  readonly pipelineId: string;
  /** The aggregate step's index in the definition. */
  readonly step: number;
  readonly spec: AggregateStep;
}

export interface Applied {
  /** Results this batch changed or closed, to mirror into Redis. */
  readonly results: readonly WindowResult[];
  readonly late: readonly LateEvent[];
  readonly skipped: number;
  readonly withoutTime: number;
}

const PARTIAL_COLUMNS = `p.window_start::float8 as start, p.window_end::float8 as "end", p.group_key as key, p.partition,
  p.count::float8 as count, p.n::float8 as n, p.sum, p.min, p.max, p.buckets`;
const accOf = (r: PartialRow): Accumulator => ({ count: r.count, n: r.n, sum: r.sum, min: r.min, max: r.max, buckets: r.buckets });

/**
 * The windowed aggregation operator: applies a batch of one aggregate step to its state in Postgres (layout in
 * shared/stores/windows.ts) in a single transaction, so state, late records and results move together or not at
 * all. The partition rows are locked first (FOR UPDATE), which serialises two workers that briefly both hold a
 * partition during a rebalance; the second then finds the offsets applied and skips them.
 */
export function createWindowOperator({ sql, schema, migrate = true }: { sql: Sql; schema: string; migrate?: boolean }) {
  const t = (name: string) => `${schema}.${name}`;
  let ready: Promise<unknown> | undefined;
  const caches = new Map<string, PartialsCache>();
  const cacheOf = (task: AggregateTask) => {
    const key = `${task.pipelineId}|${task.step}`;
    let cache = caches.get(key);
    if (!cache) caches.set(key, (cache = new PartialsCache()));
    return cache;
  };

  async function loadStates(tx: TransactionSql, task: AggregateTask, partitions: number[]): Promise<Map<number, PartitionState>> {
    const params = [task.pipelineId, task.step, partitions];
    await tx.unsafe(`insert into ${t('window_partitions')} (pipeline_id, step, partition) select $1, $2, unnest($3::int[]) on conflict do nothing`, params);
    const rows = await tx.unsafe<Array<{ partition: number; maxEventTime: number | null; lastOffset: string }>>(
      `select partition, max_event_time::float8 as "maxEventTime", last_offset::text as "lastOffset" from ${t('window_partitions')}
       where pipeline_id = $1 and step = $2 and partition = any($3::int[]) order by partition for update`,
      params,
    );
    return new Map(rows.map((r) => [r.partition, { maxEventTime: r.maxEventTime, lastOffset: BigInt(r.lastOffset) }]));
  }

  /**
   * Folds the batch into the partials of its partitions and upserts the changed ones. Returns every partial of the
   * batch's partitions for the touched windows (changed or not), so writeResults only has to read other partitions',
   * and what it learned for the cache. Only partials the cache does not know are read; the partition rows locked in
   * loadStates keep any other worker from writing these partials meanwhile.
   */
  async function writePartials(tx: TransactionSql, task: AggregateTask, plan: Plan, partitions: readonly number[], cache: PartialsCache) {
    const partials = new Map<string, PartialRow>();
    const learned = new Map<string, readonly [Target, PartialRow | null]>();
    const missing: Target[] = [];
    // Partition outermost: consecutive targets then share their id prefix (targetId keeps the last one).
    for (const partition of partitions) {
      for (const w of plan.touched.values()) {
        const target: Target = { start: w.start, end: w.end, key: w.key, partition };
        const id = targetId(target);
        const hit = cache.lookup(target, id);
        if (hit === undefined) missing.push(target);
        else if (hit !== null) partials.set(id, hit);
      }
    }
    if (missing.length > 0) {
      const rows = await tx.unsafe<PartialRow[]>(
        `select ${PARTIAL_COLUMNS} from ${t('window_partials')} p join json_to_recordset($3::text::json) as x(s int8, e int8, k text, pa int)
         on p.window_start = x.s and p.window_end = x.e and p.group_key = x.k and p.partition = x.pa
         where p.pipeline_id = $1 and p.step = $2`,
        [task.pipelineId, task.step, JSON.stringify(missing.map((x) => ({ s: x.start, e: x.end, k: x.key, pa: x.partition })))],
      );
      for (const r of rows) partials.set(targetId(r), r);
      for (const target of missing) {
        const id = targetId(target);
        learned.set(id, [target, partials.get(id) ?? null]);
      }
    }
    const changed = new Map<string, { row: PartialRow; last: bigint }>();
    for (const a of plan.applications) {
      const id = targetId(a.target);
      let entry = changed.get(id);
      if (!entry) {
        let row = partials.get(id);
        if (!row) partials.set(id, (row = { ...a.target, ...emptyAccumulator() }));
        changed.set(id, (entry = { row, last: a.offset }));
        learned.set(id, [a.target, row]);
      }
      addValue(entry.row, a.value);
      entry.last = a.offset;
    }
    if (changed.size === 0) return { partials, learned: learned.values() };
    // One JSON parameter rather than eleven arrays: postgres.js serialises arrays element by element, which (with the
    // results below) was a sixth of a windowed worker's CPU.
    const json = JSON.stringify(
      [...changed.values()].map(({ row: r, last }) => ({ s: r.start, e: r.end, k: r.key, pa: r.partition, c: r.count, n: r.n, su: r.sum, mi: r.min, ma: r.max, b: r.buckets, lo: String(last) })),
    );
    await tx.unsafe(
      `insert into ${t('window_partials')} (pipeline_id, step, window_start, window_end, group_key, partition, count, n, sum, min, max, buckets, last_offset)
       select $1, $2, s, e, k, pa, c, n, su, mi, ma, b, lo
       from json_to_recordset($3::text::json)
         as x(s int8, e int8, k text, pa int, c int8, n int8, su float8, mi float8, ma float8, b json, lo int8)
       on conflict (pipeline_id, step, window_start, window_end, group_key, partition) do update set count = excluded.count, n = excluded.n,
         sum = excluded.sum, min = excluded.min, max = excluded.max, buckets = excluded.buckets, last_offset = excluded.last_offset, updated_at = now()`,
      [task.pipelineId, task.step, json],
    );
    return { partials, learned: learned.values() };
  }

  async function writeStates(tx: TransactionSql, task: AggregateTask, states: ReadonlyMap<number, PartitionState>): Promise<void> {
    const list = [...states];
    await tx.unsafe(
      `update ${t('window_partitions')} w set max_event_time = x.m::int8, last_offset = x.lo::int8, updated_at = now()
       from unnest($3::int[], $4::float8[], $5::text[]) as x(pa, m, lo) where w.pipeline_id = $1 and w.step = $2 and w.partition = x.pa`,
      [task.pipelineId, task.step, list.map(([p]) => p), list.map(([, s]) => s.maxEventTime), list.map(([, s]) => String(s.lastOffset))],
    );
  }

  async function writeLate(tx: TransactionSql, task: AggregateTask, late: readonly LateEvent[]): Promise<void> {
    if (late.length === 0) return;
    await tx.unsafe(
      `insert into ${t('window_late')} (pipeline_id, step, partition, "offset", event_id, event_time, group_key, window_start, window_end, watermark, value)
       select $1, $2, pa, o::int8, id, et, k, s, e, w, v
       from unnest($3::int[], $4::text[], $5::text[], $6::timestamptz[], $7::text[], $8::timestamptz[], $9::timestamptz[], $10::timestamptz[], $11::float8[])
         as x(pa, o, id, et, k, s, e, w, v)
       on conflict do nothing`,
      [
        task.pipelineId, task.step, late.map((l) => l.partition), late.map((l) => String(l.offset)), late.map((l) => l.eventId),
        late.map((l) => iso(l.eventTime)), late.map((l) => l.key), late.map((l) => iso(l.start)), late.map((l) => iso(l.end)),
        late.map((l) => iso(l.watermark)), late.map((l) => l.value ?? null),
      ],
    );
  }

  /**
   * Re-merges the touched windows over all partitions (in partition order) and upserts them; closes passed ones. The
   * batch's own partitions come from `mine` (just written); only other partitions' partials are read back.
   */
  async function writeResults(tx: TransactionSql, task: AggregateTask, plan: Plan, partitions: readonly number[], mine: ReadonlyMap<string, PartialRow>): Promise<WindowResult[]> {
    const states = await tx.unsafe<Array<{ maxEventTime: number | null; lastOffset: string }>>(
      `select max_event_time::float8 as "maxEventTime", last_offset::text as "lastOffset" from ${t('window_partitions')} where pipeline_id = $1 and step = $2`,
      [task.pipelineId, task.step],
    );
    const watermark = globalWatermark(states.map((s) => ({ maxEventTime: s.maxEventTime, lastOffset: BigInt(s.lastOffset) })), timingOf(task.spec.window).latenessMs);
    const touched = [...plan.touched.values()];
    const out: WindowResult[] = [];
    if (touched.length > 0) {
      const others = await tx.unsafe<PartialRow[]>(
        `select ${PARTIAL_COLUMNS} from ${t('window_partials')} p join json_to_recordset($3::text::json) as x(s int8, e int8, k text)
         on p.window_start = x.s and p.window_end = x.e and p.group_key = x.k
         where p.pipeline_id = $1 and p.step = $2 and p.partition <> all($4::int[])`,
        [task.pipelineId, task.step, JSON.stringify(touched.map((x) => ({ s: x.start, e: x.end, k: x.key }))), partitions],
      );
      const byPartition = [...mine.values(), ...others].sort((a, b) => a.partition - b.partition);
      const merged = new Map<string, { row: PartialRow; acc: Accumulator }>();
      for (const r of byPartition) {
        const id = resultId(r);
        const prev = merged.get(id);
        merged.set(id, { row: r, acc: prev ? mergeAccumulators(prev.acc, accOf(r)) : accOf(r) });
      }
      const rows = [...merged.values()].map(({ row, acc }) => ({ row, s: statsOf(acc), closed: watermark !== null && watermark >= row.end }));
      if (rows.length > 0) {
        const json = JSON.stringify(
          rows.map(({ row, s: x, closed }) => ({ s: iso(row.start), e: iso(row.end), k: row.key, c: x.count, su: x.sum, av: x.avg, mi: x.min, ma: x.max, p50: x.p50, p95: x.p95, p99: x.p99, cl: closed })),
        );
        // No RETURNING: the rows are exactly what was just computed, so reading them back would only add work.
        await tx.unsafe(
          `insert into ${t('window_results')} (pipeline_id, step, window_start, window_end, group_key, count, sum, avg, min, max, p50, p95, p99, closed)
           select $1, $2, s, e, k, c, su, av, mi, ma, p50, p95, p99, cl from json_to_recordset($3::text::json)
             as x(s timestamptz, e timestamptz, k text, c int8, su float8, av float8, mi float8, ma float8, p50 float8, p95 float8, p99 float8, cl bool)
           on conflict (pipeline_id, step, window_start, window_end, group_key) do update set count = excluded.count, sum = excluded.sum,
             avg = excluded.avg, min = excluded.min, max = excluded.max, p50 = excluded.p50, p95 = excluded.p95, p99 = excluded.p99,
             closed = excluded.closed, updated_at = now()`,
          [task.pipelineId, task.step, json],
        );
        const updatedAt = new Date();
        for (const { row, s: x, closed } of rows) {
          out.push({ pipelineId: task.pipelineId, step: task.step, key: row.key, windowStart: new Date(row.start), windowEnd: new Date(row.end), ...x, closed, updatedAt });
        }
      }
    }
    if (watermark !== null) {
      out.push(
        ...(await tx.unsafe<WindowResult[]>(
          `update ${t('window_results')} set closed = true, updated_at = now()
           where pipeline_id = $1 and step = $2 and not closed and window_end <= $3 returning ${WINDOW_RESULT_COLUMNS}`,
          [task.pipelineId, task.step, iso(watermark)],
        )),
      );
    }
    return out;
  }

  async function apply(task: AggregateTask, items: readonly WindowItem[]): Promise<Applied> {
    if (migrate) ready ??= migrateWindows(sql, schema).catch((e: unknown) => ((ready = undefined), Promise.reject(e)));
    await ready;
    if (items.length === 0) return { results: [], late: [], skipped: 0, withoutTime: 0 };
    const partitions = [...new Set(items.map((i) => i.partition))];
    const cache = cacheOf(task);
    try {
      const { applied, learned, states } = await sql.begin(async (tx) => {
        const before = await loadStates(tx, task, partitions);
        cache.validate(before);
        const plan = planBatch(task.spec, items, before);
        const mine = await writePartials(tx, task, plan, partitions, cache);
        await writeStates(tx, task, plan.partitions);
        await writeLate(tx, task, plan.late);
        const results = await writeResults(tx, task, plan, partitions, mine.partials);
        const applied: Applied = { results, late: plan.late, skipped: plan.skipped, withoutTime: plan.withoutTime };
        return { applied, learned: [...mine.learned], states: plan.partitions };
      });
      cache.remember(learned, states, timingOf(task.spec.window).latenessMs);
      return applied;
    } catch (error) {
      cache.forget(partitions);
      throw error;
    }
  }

  return { apply };
}

export type WindowOperator = ReturnType<typeof createWindowOperator>;
