/**
 * A short-lived, single-flight cache shared by every request of one gateway process. Dashboards ask the same
 * aggregations many times a second; with a TTL of about a second, N identical requests cost the search node one, and
 * concurrent misses share the one promise in flight instead of all going to the store (thundering herd).
 *
 * Past the TTL the last good answer is still served while one refresh runs (stale-while-revalidate, RFC 5861), so the
 * requests that arrive during a refresh do not all wait for the store: an answer is at most TTL + one store round
 * trip old. Failed loads are not kept, so an outage is not served from the cache after it ends, and an answer older
 * than `maxStaleMs` is never served.
 */
export interface TtlCache {
  get<T>(key: string, load: () => Promise<T>): Promise<T>;
  readonly size: number;
}

interface Entry {
  at: number;
  /** The load in flight, or the last one. */
  pending: Promise<unknown>;
  /** The last successful answer and when it was loaded. */
  good?: { value: unknown; at: number };
}

export function createTtlCache({ ttlMs = 1000, maxStaleMs = 10_000, maxEntries = 1000, now = () => performance.now() } = {}): TtlCache {
  const entries = new Map<string, Entry>();
  const refresh = (key: string, entry: Entry, load: () => Promise<unknown>) => {
    const pending = load();
    entry.pending = pending;
    entry.at = now();
    pending.then(
      (value) => {
        entry.good = { value, at: now() };
      },
      () => {
        if (entries.get(key) === entry && entry.pending === pending) entries.delete(key);
      },
    );
    return pending;
  };
  return {
    get<T>(key: string, load: () => Promise<T>): Promise<T> {
      if (ttlMs <= 0) return load();
      const t = now();
      const entry = entries.get(key);
      if (!entry) {
        if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
        const fresh: Entry = { at: t, pending: Promise.resolve() };
        entries.set(key, fresh);
        return refresh(key, fresh, load) as Promise<T>;
      }
      if (t - entry.at < ttlMs) return entry.pending as Promise<T>;
      // Expired: start one refresh, and answer from the last good value while it runs (if it is not too old).
      const pending = refresh(key, entry, load) as Promise<T>;
      if (entry.good && t - entry.good.at < maxStaleMs) return Promise.resolve(entry.good.value as T);
      return pending;
    },
    get size() {
      return entries.size;
    },
  };
}
