import Redis, { type ChainableCommander } from 'ioredis';
import { connectionsConfig } from '../../../shared/config/connections.ts';
import { loadConfig } from '../../../shared/config/index.ts';
import type { StampedEvent } from '../../../shared/contracts/index.ts';
import { keys } from '../../../shared/stores/redis-keys.ts';
import { dlq, ok, type Outcome } from '../../outcomes.ts';
import type { Sink } from '../types.ts';
import { redisSinkConfig, type RedisSinkConfig } from './config.ts';
import { outcomeOfRedisError, unavailable } from './retry.ts';
import { bucketArgs, eventArgs, headerArgs, RECORD_LUA, type RecordSettings, type ScriptArg } from './script.ts';
import { whenRedisConnected } from '../../../shared/stores/redis-connection.ts';
import type { Registry } from '../../../shared/telemetry/metrics.ts';
import { redisSinkMetrics } from './metrics.ts';

export interface RedisSinkOptions {
  /** Environment the settings are read from. */
  readonly env?: Record<string, string | undefined>;
  /** Redis URL; defaults to REDIS_URL (connections config). */
  readonly url?: string;
  /** Overrides of the SINK_REDIS_* settings, validated like the environment's. */
  readonly config?: Partial<RedisSinkConfig>;
  /** Processing time in epoch ms (latency and the latency minute); injected by tests for determinism. */
  readonly now?: () => number;
  /** Connection errors; without a listener ioredis prints every reconnect failure as unhandled. */
  readonly onError?: (error: Error) => void;
  /** Where the sink's own metrics go (the worker's registry); none without it. */
  readonly registry?: Registry;
}

const COMMAND = 'eventLensRecord';
type RecordingPipeline = ChainableCommander & { [COMMAND](...args: ScriptArg[]): ChainableCommander };

function ignore(): void {}


function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/** The outcome of one entry of the script's reply: 1 applied, 0 already seen (both fine), else an error message. */
function outcomeOfReply(entry: unknown): Outcome {
  if (entry === 0 || entry === 1) return ok;
  if (typeof entry === 'string') return outcomeOfRedisError(entry);
  return dlq('redis_script_error', `unexpected script reply ${JSON.stringify(entry)}`);
}

interface Pending {
  readonly index: number;
  /** eventArgs' entry; its receivedAt second is replaced by the bucket's position when the chunk is sent. */
  readonly args: Array<string | number>;
}

/** The chunk's bucket array, and each entry's second replaced by its bucket's position in it (from 1, as Lua counts). */
function numberBuckets(part: readonly Pending[], settings: RecordSettings): Array<ReturnType<typeof bucketArgs>> {
  const buckets: Array<ReturnType<typeof bucketArgs>> = [];
  const positions = new Map<number, number>();
  for (const { args } of part) {
    const second = args[3] as number;
    let position = positions.get(second);
    if (position === undefined) {
      buckets.push(bucketArgs(settings, second));
      positions.set(second, (position = buckets.length));
    }
    args[3] = position;
  }
  return buckets;
}

/**
 * The Redis sink: live counters, latency histograms, latest values and the recent list (layout in
 * shared/stores/redis-keys.ts). Never throws from write: a missing connection is `retry('redis_unavailable')` for
 * every event, quickly, because the offline queue is off and commands time out.
 */
export function createRedisSink({
  env = process.env,
  url = loadConfig(connectionsConfig, env).redisUrl,
  config = {},
  now = Date.now,
  onError = ignore,
  registry,
}: RedisSinkOptions = {}): Sink {
  const settings = loadConfig(redisSinkConfig, env, config);
  const record: RecordSettings = { ...settings, keys: keys(settings.keyPrefix), latestTypes: new Set(settings.latestTypes) };
  const redis = new Redis(url, {
    connectTimeout: settings.connectTimeoutMs,
    commandTimeout: settings.commandTimeoutMs,
    // Fail instead of queueing while disconnected: the worker retries the events, holding them in its own memory.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
  });
  redis.on('error', onError);
  redis.defineCommand(COMMAND, { numberOfKeys: 0, lua: RECORD_LUA });
  const metrics = redisSinkMetrics({ registry, maxTypes: settings.maxTypes, maxSources: settings.maxSources });

  async function send(pending: readonly Pending[], nowMs: number, outcomes: Outcome[]): Promise<void> {
    const chunks = chunk(pending, settings.eventsPerScript);
    // ioredis sends EVALSHA and falls back to EVAL on NOSCRIPT (e.g. after a restart); all calls share one round trip.
    const pipeline = redis.pipeline() as RecordingPipeline;
    const header = headerArgs(record, nowMs);
    for (const part of chunks) {
      const buckets = JSON.stringify(numberBuckets(part, record));
      pipeline[COMMAND](...header, buckets, JSON.stringify(part.map((p) => p.args)));
    }
    const results = (await pipeline.exec()) ?? [];
    chunks.forEach((part, c) => {
      const [error, reply] = results[c] ?? [new Error('Connection is closed (no reply)'), null];
      // {per-event replies, events folded into by_type's other field, into by_source's} (script.ts).
      const [entries, foldedTypes, foldedSources] = Array.isArray(reply) ? (reply as [unknown, unknown, unknown]) : [reply, 0, 0];
      part.forEach((p, i) => {
        outcomes[p.index] = error ? outcomeOfRedisError(error) : outcomeOfReply(Array.isArray(entries) ? entries[i] : entries);
      });
      if (error) return;
      metrics.folded('by_type', Number(foldedTypes) || 0);
      metrics.folded('by_source', Number(foldedSources) || 0);
    });
  }

  async function write(events: readonly StampedEvent[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = events.map(() => ok);
    const nowMs = now();
    const pending: Pending[] = [];
    // Only the newest recentLength events can stay in the recent list; the others skip building its entry.
    const recentFrom = events.length - record.recentLength;
    events.forEach((event, index) => {
      const args = eventArgs(event, record, nowMs, index >= recentFrom);
      if (args) pending.push({ index, args });
      else outcomes[index] = dlq('invalid_event', 'receivedAt or timestamp is not a date');
    });
    if (pending.length === 0) return outcomes;
    try {
      if (!(await whenRedisConnected(redis, settings.connectTimeoutMs))) {
        const reason = redis.status === 'end' ? 'Redis sink is closed' : `Redis is not connected (${redis.status})`;
        for (const p of pending) outcomes[p.index] = unavailable(reason);
        return outcomes;
      }
      await send(pending, nowMs, outcomes);
    } catch (error) {
      // pipeline.exec rejects as a whole only for client-side trouble; every event of the write shares its fate.
      for (const p of pending) outcomes[p.index] = outcomeOfRedisError(error);
    }
    return outcomes;
  }

  async function ready(): Promise<boolean> {
    if (!(await whenRedisConnected(redis, settings.connectTimeoutMs))) return false;
    return redis.ping().then((reply) => reply === 'PONG', () => false);
  }

  async function close(): Promise<void> {
    // QUIT lets replies in flight arrive; if the server is gone it cannot answer, so just drop the socket.
    if (redis.status === 'ready') await redis.quit().catch(ignore);
    redis.disconnect();
  }

  return { name: 'redis', write, ready, close };
}
