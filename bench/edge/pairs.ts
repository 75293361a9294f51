/**
 * On/off comparisons (auth, tracing, Segment against the edge's own batches) as short legs in ABBA order rather than
 * two long rounds far apart. In one report the same edge read 17,000 events/s in its first round and 31,000 in its
 * second, because the box's load drifts over minutes; a pair measured minutes apart carried that drift into its
 * ratio (auth on / off read 1.03× in one round and 0.89× in the other). Adjacent legs in ABBA order see the same
 * machine, and a drift that is linear over a block cancels out.
 *
 * Each leg also reports the CPU seconds its edge spent and the events it acknowledged. On a 2-core host wrk, the
 * broker and the edges share the CPU, so the throughput ratio of two edges swung by ±0.3 between runs (auth on / off,
 * single events: 0.99× at 244bc99, 0.70× at c0fbf05, 2026-12-06); in two quick runs the legs of a pair spread up to
 * 3× in events/s and up to 1.6× in edge CPU per event, and the pairs' CPU ratios moved by up to 0.2 from one run to
 * the other, their throughput ratios by up to 0.8.
 */
export interface LegMeasure {
  readonly eventsPerSecond: number;
  /** CPU seconds (user + system) of the leg's edge over its measured run. */
  readonly cpuSeconds: number;
  /** Events the edge acknowledged in the measured run. */
  readonly events: number;
}

export interface PairResult {
  /** Mean events/s of the A legs and of the B legs; legs have equal lengths, so the mean is the pooled rate. */
  readonly a: number;
  readonly b: number;
  /** µs of edge CPU per acknowledged event on each side, CPU and events pooled over its legs; NaN with no events. */
  readonly cpuUsPerEvent: { readonly a: number; readonly b: number };
  /** Every leg in the order run, for the report. */
  readonly legs: readonly ({ readonly which: 'a' | 'b' } & LegMeasure)[];
}

/** The order of 2 × blocks legs: A B, then B A, and so on. Pure, so the order is tested on its own. */
export function abbaOrder(blocks: number): Array<'a' | 'b'> {
  const out: Array<'a' | 'b'> = [];
  for (let i = 0; i < blocks; i++) out.push(...(i % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const)));
  return out;
}

/**
 * CPU per event of one side over its legs: the sums divided, so a leg that moved more events weighs more, as one
 * long run of the same total would. A per-leg mean would let a short leg's tick rounding (/proc counts 10 ms) count
 * as much as a full one.
 */
export function pooledCpuUsPerEvent(legs: readonly Pick<LegMeasure, 'cpuSeconds' | 'events'>[]): number {
  const events = legs.reduce((n, l) => n + l.events, 0);
  const cpuSeconds = legs.reduce((n, l) => n + l.cpuSeconds, 0);
  return events > 0 ? (cpuSeconds * 1e6) / events : Number.NaN;
}

export interface AlternateOptions<T> {
  readonly a: T;
  readonly b: T;
  readonly blocks: number;
  /** Runs one leg and returns its events/s, its edge's CPU seconds and the events acknowledged. */
  readonly run: (leg: T, index: number) => Promise<LegMeasure>;
}

export async function alternate<T>({ a, b, blocks, run }: AlternateOptions<T>): Promise<PairResult> {
  const legs: Array<{ which: 'a' | 'b' } & LegMeasure> = [];
  let index = 0;
  for (const which of abbaOrder(blocks)) legs.push({ which, ...(await run(which === 'a' ? a : b, index++)) });
  const side = (which: 'a' | 'b') => legs.filter((l) => l.which === which);
  const mean = (which: 'a' | 'b') => side(which).reduce((s, l) => s + l.eventsPerSecond, 0) / side(which).length;
  return { a: mean('a'), b: mean('b'), cpuUsPerEvent: { a: pooledCpuUsPerEvent(side('a')), b: pooledCpuUsPerEvent(side('b')) }, legs };
}
