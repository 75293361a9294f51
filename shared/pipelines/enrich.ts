import type { JsonObject } from '../contracts/json.ts';
import type { PipelineStep } from '../contracts/pipeline.ts';
import { getPath, setPath, type PipelineEvent } from './paths.ts';

export type EnrichStep = Extract<PipelineStep, { type: 'enrich' }>;

/** Looks keys up in a named table; keys without an entry are absent from the map (shared/stores/pipelines.ts). */
export type Lookup = (table: string, keys: string[]) => Promise<Map<string, JsonObject>>;

export interface EnrichResult {
  readonly event: PipelineEvent;
  /** What happened, for traces: `joined`, `no match`, or `no key`. */
  readonly note: string;
}

export interface EnricherOptions {
  readonly lookup: Lookup;
  readonly now?: () => number;
  /** Entries kept per pipeline before the oldest are dropped; bounds memory against high-cardinality keys. */
  readonly maxEntriesPerPipeline?: number;
}

interface Cached {
  readonly value: JsonObject | null;
  readonly expiresAt: number;
}

/** Only scalars make a lookup key; an object or array under `on` has no meaningful text form. */
function keyOf(event: PipelineEvent, path: string): string | undefined {
  const v = getPath(event, path);
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

/**
 * Enrich steps: one lookup call per (step, batch) for the keys the cache does not hold, so a batch of 1000 events
 * with 10 distinct customers costs one query, and a warm cache costs none. The cache is per pipeline, and misses are
 * cached too (a key without an entry is asked again only after the TTL), so an unknown key cannot turn every event
 * into a query. `cacheTtlMs: 0` disables caching for that step.
 */
export function createEnricher({ lookup, now = Date.now, maxEntriesPerPipeline = 50_000 }: EnricherOptions) {
  const caches = new Map<string, Map<string, Cached>>();

  function cacheOf(pipelineId: string): Map<string, Cached> {
    let cache = caches.get(pipelineId);
    if (!cache) caches.set(pipelineId, (cache = new Map()));
    return cache;
  }

  async function enrich(pipelineId: string, step: EnrichStep, events: readonly PipelineEvent[]): Promise<EnrichResult[]> {
    const cache = cacheOf(pipelineId);
    const at = now();
    const found = new Map<string, JsonObject | null>();
    const keys = events.map((e) => keyOf(e, step.on));
    const missing = new Set<string>();
    for (const key of keys) {
      if (key === undefined || found.has(key)) continue;
      const hit = cache.get(`${step.table}\u0000${key}`);
      if (hit && hit.expiresAt > at) found.set(key, hit.value);
      else missing.add(key);
    }
    if (missing.size > 0) {
      const rows = await lookup(step.table, [...missing]);
      for (const key of missing) {
        const value = rows.get(key) ?? null;
        found.set(key, value);
        if (step.cacheTtlMs <= 0) continue;
        if (cache.size >= maxEntriesPerPipeline) cache.delete(cache.keys().next().value!);
        cache.set(`${step.table}\u0000${key}`, { value, expiresAt: at + step.cacheTtlMs });
      }
    }
    return events.map((event, i) => {
      const key = keys[i];
      if (key === undefined) return { event, note: 'no key' };
      const value = found.get(key);
      return value ? { event: setPath(event, step.into, value), note: 'joined' } : { event, note: 'no match' };
    });
  }

  /** Forgets a pipeline's cache (it was stopped or changed). */
  function forget(pipelineId: string): void {
    caches.delete(pipelineId);
  }

  return { enrich, forget };
}

export type Enricher = ReturnType<typeof createEnricher>;
