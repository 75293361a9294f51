import type Redis from 'ioredis';
import { windowKeys, type WindowResult } from '../../shared/stores/windows.ts';
import { isoText } from './plan.ts';
import { deleteKeys } from '../../shared/stores/redis-scan.ts';

const text = (v: number | null) => (v === null ? '' : String(v));

/**
 * One call writes a pipeline's results: per result HSET of the whole hash, EXPIRE, and ZADD to the index; then the
 * index is trimmed. ARGV: index key, trim-before score, ttl (s), updated_at, then one JSON array with an array of
 * strings per result: window key, index member, start ms, start, end, count, sum, avg, min, max, p50, p95, p99,
 * closed. One JSON argument rather than three commands of up to 26 arguments per result: building those in ioredis
 * was a sixth of a windowed worker's CPU (bench:windows), the same finding as the Redis sink's script. Expiry counts
 * from the write, not the window's end, so a replay of old events still leaves a readable copy.
 */
const PUBLISH_LUA = `
local index, before, ttl, updated = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
for _, r in ipairs(cjson.decode(ARGV[5])) do
  redis.call('HSET', r[1], 'start', r[4], 'end', r[5], 'count', r[6], 'sum', r[7], 'avg', r[8], 'min', r[9], 'max', r[10],
    'p50', r[11], 'p95', r[12], 'p99', r[13], 'closed', r[14], 'updated_at', updated)
  redis.call('EXPIRE', r[1], ttl)
  redis.call('ZADD', index, r[3], r[2])
end
redis.call('ZREMRANGEBYSCORE', index, '-inf', '(' .. before)
return 1
`;

type PublishingRedis = Redis & { windowsPublish(...args: string[]): Promise<unknown> };

/**
 * Mirrors window results into Redis (layout in shared/stores/windows.ts). Every write sets the absolute values
 * just written to Postgres, so writing a result twice, or out of order with a replay, leaves the same hash: Postgres
 * is the truth and Redis a copy that any later write of the window repairs.
 */
export function createWindowMirror({ redis, prefix, liveTtlSeconds = 2 * 86_400 }: { redis: Redis; prefix: string; liveTtlSeconds?: number }) {
  const k = windowKeys(prefix);
  if (!('windowsPublish' in redis)) redis.defineCommand('windowsPublish', { numberOfKeys: 0, lua: PUBLISH_LUA });
  const scripted = redis as PublishingRedis;

  async function publish(results: readonly WindowResult[]): Promise<void> {
    const byPipeline = new Map<string, string[][]>();
    for (const r of results) {
      const start = r.windowStart.getTime();
      let rows = byPipeline.get(r.pipelineId);
      if (!rows) byPipeline.set(r.pipelineId, (rows = []));
      rows.push([
        k.window(r.pipelineId, r.step, r.key, start), k.member(r.step, r.key, start), String(start), isoText(start), isoText(r.windowEnd.getTime()),
        String(r.count), text(r.sum), text(r.avg), text(r.min), text(r.max), text(r.p50), text(r.p95), text(r.p99), r.closed ? '1' : '0',
      ]);
    }
    const updated = new Date().toISOString();
    // The index lists windows that started within liveTtl (older ones are in Postgres); it would otherwise grow forever.
    const before = String(Date.now() - liveTtlSeconds * 1000);
    for (const [pipelineId, rows] of byPipeline) await scripted.windowsPublish(k.index(pipelineId), before, String(liveTtlSeconds), updated, JSON.stringify(rows));
  }

  /** Deletes a pipeline's live windows (replay --rebuild); SCAN, so it does not block Redis. */
  async function wipe(pipelineId: string): Promise<number> {
    const removed = await deleteKeys(redis, `${prefix}win:${pipelineId}:*`);
    await redis.del(k.index(pipelineId));
    return removed;
  }

  return { publish, wipe };
}

export type WindowMirror = ReturnType<typeof createWindowMirror>;
