import type { Registry } from '../../../shared/telemetry/metrics.ts';

/** The two capped hashes, as metric label values. */
export type CappedMap = 'by_type' | 'by_source';

export interface RedisSinkMetrics {
  /** Events the script counted under `(other)` because the map was full. */
  folded(map: CappedMap, events: number): void;
}

const none: RedisSinkMetrics = { folded() {} };

/**
 * The caps as gauges, so a dashboard can show a map near them next to how many events already fold into `(other)`;
 * without a registry (tests, tools) nothing is recorded.
 */
export function redisSinkMetrics({ registry, maxTypes, maxSources }: { registry?: Registry; maxTypes: number; maxSources: number }): RedisSinkMetrics {
  if (!registry) return none;
  const cap = registry.gauge('workers_redis_cardinality_cap_fields', 'Most distinct fields by_type and by_source hold (SINK_REDIS_MAX_TYPES, SINK_REDIS_MAX_SOURCES).', ['map']);
  cap.set({ map: 'by_type' }, maxTypes);
  cap.set({ map: 'by_source' }, maxSources);
  const folded = registry.counter('workers_redis_folded_events_total', 'Events counted under `(other)` in by_type or by_source because the map was at its cap.', ['map']);
  return {
    folded(map, events) {
      if (events > 0) folded.inc({ map }, events);
    },
  };
}
