import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { FetchConnection } from '../../shared/stores/es-connection.ts';
import { stampEvent, uuidv7, type StampedEvent } from '../../shared/contracts/index.ts';

export const PREFIX = 'bench-query';
const TYPES = ['page.view', 'order.created', 'signup', 'button.click', 'sensor.reading', 'cart.add'];
const SOURCES = ['web', 'ios', 'android', 'orders', 'sensors'];
const ROOT = join(import.meta.dir, '..', '..');
const BATCH = 5000;
/** Redis keeps counters and a recent list, not the events: its part of the seed is the first 100,000. */
const REDIS_EVENTS = 100_000;

/**
 * Stores `target` events for bench:query through the workers' own sinks (`bun workers/seed.ts`: the same indices,
 * template and Redis keys the workers write), spread over the last 24 hours. Kept between runs: only the missing
 * part is written.
 */
export async function seed({ esUrl, redisUrl, target, log }: { esUrl: string; redisUrl: string; target: number; log: (s: string) => void }) {
  const client = new Client({ node: esUrl, Connection: FetchConnection });
  const count = await client.count({ index: PREFIX, ignore_unavailable: true, allow_no_indices: true }).then((r) => r.count).catch(() => 0);
  await client.close();
  if (count >= target) {
    log(`  ${count.toLocaleString()} events already stored under ${PREFIX}`);
    return count;
  }
  const now = Date.now();
  const t = performance.now();
  const withRedis = Math.min(target, count + REDIS_EVENTS);
  const env = { ELASTICSEARCH_URL: esUrl, REDIS_URL: redisUrl, SINK_ES_INDEX_PREFIX: PREFIX, SINK_ES_ALIAS: PREFIX, SINK_ES_REFRESH_INTERVAL: '30s', SINK_REDIS_KEY_PREFIX: `${PREFIX}:`, WORKERS_BATCH_SIZE: String(BATCH) };
  const progress = (done: number) => log(`  seeded ${done.toLocaleString()} / ${target.toLocaleString()} (${Math.round((done - count) / ((performance.now() - t) / 1000))}/s)`);
  await seedRange(count, withRedis, now, { ...env, WORKERS_SINKS: 'elasticsearch,redis' }, progress);
  if (withRedis < target) await seedRange(withRedis, target, now, { ...env, WORKERS_SINKS: 'elasticsearch' }, progress);
  return target;
}

/** Events `from` to `to` (exclusive) as NDJSON into one `bun workers/seed.ts` process. */
async function seedRange(from: number, to: number, now: number, env: Record<string, string>, progress: (done: number) => void): Promise<void> {
  const proc = Bun.spawn([process.execPath, join(ROOT, 'workers/seed.ts')], { cwd: ROOT, env: { ...process.env, ...env }, stdin: 'pipe', stdout: 'pipe', stderr: 'inherit' });
  for (let done = from; done < to; done += BATCH) {
    const events = Array.from({ length: Math.min(BATCH, to - done) }, (_, i) => benchEvent(done + i, now));
    proc.stdin.write(events.map((e) => `${JSON.stringify(e)}\n`).join(''));
    await proc.stdin.flush();
    if (((done - from) / BATCH) % 20 === 0) progress(done + events.length);
  }
  await proc.stdin.end();
  const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  if (code !== 0) throw new Error(`seeding failed: ${out}`);
}

function benchEvent(n: number, now: number): StampedEvent {
  const at = now - Math.floor(Math.random() * 86_400_000);
  return stampEvent(
    { type: TYPES[n % TYPES.length]!, source: SOURCES[n % SOURCES.length]!, key: `user-${n % 10_000}`, timestamp: new Date(at).toISOString(), data: { amount: n % 1000, page: `/p/${n % 50}`, note: `bench event ${n}` } },
    { now, newId: () => uuidv7(at) },
  );
}
