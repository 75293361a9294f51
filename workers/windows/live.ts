import type Redis from 'ioredis';
import { windowKeys, type WindowResult } from '../../shared/stores/windows.ts';

const text = (v: number | null) => (v === null ? '' : String(v));

/**
 * Mirrors window results into Redis (layout in shared/stores/windows.ts). Every write sets absolute values read
 * back from Postgres, so writing a result twice, or out of order with a replay, leaves the same hash: Postgres is
 * the truth and Redis a copy that any later write of the window repairs.
 */
export function createWindowMirror({ redis, prefix, liveTtlSeconds = 2 * 86_400 }: { redis: Redis; prefix: string; liveTtlSeconds?: number }) {
  const k = windowKeys(prefix);

  async function publish(results: readonly WindowResult[]): Promise<void> {
    if (results.length === 0) return;
    const pipeline = redis.pipeline();
    const oldest = new Map<string, number>();
    for (const r of results) {
      const start = r.windowStart.getTime();
      const key = k.window(r.pipelineId, r.step, r.key, start);
      pipeline.hset(key, {
        start: r.windowStart.toISOString(),
        end: r.windowEnd.toISOString(),
        count: String(r.count),
        sum: text(r.sum),
        avg: text(r.avg),
        min: text(r.min),
        max: text(r.max),
        p50: text(r.p50),
        p95: text(r.p95),
        p99: text(r.p99),
        closed: r.closed ? '1' : '0',
        updated_at: r.updatedAt.toISOString(),
      });
      // From the write, not the window's end, so a replay of old events still leaves a readable copy.
      pipeline.expire(key, liveTtlSeconds);
      pipeline.zadd(k.index(r.pipelineId), start, k.member(r.step, r.key, start));
      oldest.set(r.pipelineId, Date.now() - liveTtlSeconds * 1000);
    }
    // The index lists windows that started within liveTtl (older ones are in Postgres); it would otherwise grow forever.
    for (const [pipelineId, before] of oldest) pipeline.zremrangebyscore(k.index(pipelineId), '-inf', `(${before}`);
    const replies = (await pipeline.exec()) ?? [];
    const failed = replies.find(([error]) => error);
    if (failed?.[0]) throw failed[0];
  }

  /** Deletes a pipeline's live windows (replay --rebuild); SCAN, so it does not block Redis. */
  async function wipe(pipelineId: string): Promise<number> {
    let removed = 0;
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}win:${pipelineId}:*`, 'COUNT', 1000);
      cursor = next;
      if (found.length > 0) removed += await redis.del(...found);
    } while (cursor !== '0');
    await redis.del(k.index(pipelineId));
    return removed;
  }

  return { publish, wipe };
}

export type WindowMirror = ReturnType<typeof createWindowMirror>;
