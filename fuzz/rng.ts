/**
 * A small seeded generator (mulberry32), so a fuzz run is repeatable: request i of seed s is always the same bytes,
 * whatever the concurrency and the order answers come back in.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [0, n). */
  int(n: number): number;
  /** Integer in [min, max]. */
  between(min: number, max: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** One of `table`'s values, each as likely as its weight. */
  weighted<T>(table: ReadonlyArray<readonly [weight: number, value: T]>): T;
}

export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    next,
    int,
    between: (min, max) => min + int(max - min + 1),
    chance: (p) => next() < p,
    pick: (items) => items[int(items.length)]!,
    weighted(table) {
      let total = 0;
      for (const [w] of table) total += w;
      let at = next() * total;
      for (const [w, value] of table) {
        at -= w;
        if (at < 0) return value;
      }
      return table[table.length - 1]![1];
    },
  };
}

/** The seed of request `index` in a run seeded `seed`: a 32-bit mix, so neighbouring requests are unrelated. */
export function requestSeed(seed: number, index: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
