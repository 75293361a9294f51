/**
 * A short-lived, single-flight cache shared by every request of one gateway process. Dashboards ask the same
 * aggregations many times a second; with a TTL of about a second, N identical requests cost the search node one, and
 * concurrent misses share the one promise in flight instead of all going to the store (thundering herd). Failed
 * loads are not kept, so an outage is not served from the cache after it ends.
 */
export interface TtlCache {
  get<T>(key: string, load: () => Promise<T>): Promise<T>;
  readonly size: number;
}

export function createTtlCache({ ttlMs = 1000, maxEntries = 1000, now = () => performance.now() } = {}): TtlCache {
  const entries = new Map<string, { at: number; value: Promise<unknown> }>();
  return {
    get<T>(key: string, load: () => Promise<T>): Promise<T> {
      if (ttlMs <= 0) return load();
      const hit = entries.get(key);
      if (hit && now() - hit.at < ttlMs) return hit.value as Promise<T>;
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
      const value = load();
      entries.set(key, { at: now(), value });
      value.catch(() => {
        if (entries.get(key)?.value === value) entries.delete(key);
      });
      return value;
    },
    get size() {
      return entries.size;
    },
  };
}
