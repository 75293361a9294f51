export { redisSinkConfig, type RedisSinkConfig } from './config.ts';
export { outcomeOfRedisError, REDIS_SINK_REASONS, type RedisSinkReason } from './retry.ts';
export { createRedisSink, type RedisSinkOptions } from './sink.ts';

// The key layout and its readers are a contract with the query gateway, so they live in shared/stores; re-exported
// here for the workers' own tests and helpers.
export {
  epochMinute,
  epochSecond,
  keys,
  LATENCY_BOUNDS_MS,
  LATENCY_OVERFLOW,
  latencyField,
  NO_SOURCE,
  quantile,
  type KeyLayout,
} from '../../../shared/stores/redis-keys.ts';
export {
  readLatest,
  readLiveStats,
  readRecent,
  type LatencySummary,
  type LatestValue,
  type LiveStats,
  type LiveStatsOptions,
  type RecentEntry,
  type TimeCount,
} from '../../../shared/stores/redis-readers.ts';
