/**
 * A bounded memo of a pure function of one key. When it holds `maxEntries` it starts over: the keys it serves (paths,
 * patterns, bucket ids, window bounds) come from a small set that recurs, so a reset costs a few recomputations and
 * needs no recency bookkeeping on the hot path.
 */
export function memoize<K, V>(compute: (key: K) => V, maxEntries: number): (key: K) => V {
  const cache = new Map<K, V>();
  return function memoized(key: K): V {
    let value = cache.get(key);
    if (value === undefined && !cache.has(key)) {
      if (cache.size >= maxEntries) cache.clear();
      value = compute(key);
      cache.set(key, value);
    }
    return value as V;
  };
}
