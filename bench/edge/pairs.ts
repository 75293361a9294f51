/**
 * On/off comparisons (auth, tracing, Segment against the edge's own batches) as short legs in ABBA order rather than
 * two long rounds far apart. In one report the same edge read 17,000 events/s in its first round and 31,000 in its
 * second, because the box's load drifts over minutes; a pair measured minutes apart carried that drift into its
 * ratio (auth on / off read 1.03× in one round and 0.89× in the other). Adjacent legs in ABBA order see the same
 * machine, and a drift that is linear over a block cancels out.
 */
export interface PairResult {
  /** Mean events/s of the A legs and of the B legs; legs have equal lengths, so the mean is the pooled rate. */
  readonly a: number;
  readonly b: number;
  /** Every leg's events/s in the order run, for the report. */
  readonly legs: readonly { readonly which: 'a' | 'b'; readonly eventsPerSecond: number }[];
}

/** The order of 2 × blocks legs: A B, then B A, and so on. Pure, so the order is tested on its own. */
export function abbaOrder(blocks: number): Array<'a' | 'b'> {
  const out: Array<'a' | 'b'> = [];
  for (let i = 0; i < blocks; i++) out.push(...(i % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const)));
  return out;
}

export interface AlternateOptions<T> {
  readonly a: T;
  readonly b: T;
  readonly blocks: number;
  /** Runs one leg and returns its events/s. */
  readonly run: (leg: T, index: number) => Promise<number>;
}

export async function alternate<T>({ a, b, blocks, run }: AlternateOptions<T>): Promise<PairResult> {
  const legs: Array<{ which: 'a' | 'b'; eventsPerSecond: number }> = [];
  let index = 0;
  for (const which of abbaOrder(blocks)) legs.push({ which, eventsPerSecond: await run(which === 'a' ? a : b, index++) });
  const mean = (which: 'a' | 'b') => {
    const xs = legs.filter((l) => l.which === which).map((l) => l.eventsPerSecond);
    return xs.reduce((s, x) => s + x, 0) / xs.length;
  };
  return { a: mean('a'), b: mean('b'), legs };
}
