import { Client } from '@elastic/elasticsearch';
import { FetchConnection } from '../../shared/stores/es-connection.ts';
import { stampEvent, uuidv7, type StampedEvent } from '../../shared/contracts/index.ts';
import { createElasticsearchSink, elasticsearchConfig } from '../../workers/sinks/elasticsearch/index.ts';
import { createRedisSink } from '../../workers/sinks/redis/index.ts';
import { loadConfig } from '../../shared/config/index.ts';

export const PREFIX = 'bench-query';
const TYPES = ['page.view', 'order.created', 'signup', 'button.click', 'sensor.reading', 'cart.add'];
const SOURCES = ['web', 'ios', 'android', 'orders', 'sensors'];

/**
 * Stores `target` events for bench:query through the real sinks (the same indices, template and Redis keys the
 * workers write), spread over the last 24 hours. Kept between runs: only the missing part is written.
 */
export async function seed({ esUrl, redisUrl, target, log }: { esUrl: string; redisUrl: string; target: number; log: (s: string) => void }) {
  const client = new Client({ node: esUrl, Connection: FetchConnection });
  const count = await client.count({ index: PREFIX, ignore_unavailable: true, allow_no_indices: true }).then((r) => r.count).catch(() => 0);
  await client.close();
  if (count >= target) {
    log(`  ${count.toLocaleString()} events already stored under ${PREFIX}`);
    return count;
  }
  const es = createElasticsearchSink({
    node: esUrl,
    config: { ...loadConfig(elasticsearchConfig, {}), indexPrefix: PREFIX, alias: PREFIX, refreshInterval: '30s' },
  });
  const redis = createRedisSink({ url: redisUrl, config: { keyPrefix: `${PREFIX}:` } });
  const now = Date.now();
  const batch = 5000;
  const t = performance.now();
  for (let done = count; done < target; done += batch) {
    const events: StampedEvent[] = Array.from({ length: Math.min(batch, target - done) }, (_, i) => {
      const n = done + i;
      const at = now - Math.floor(Math.random() * 86_400_000);
      return stampEvent(
        { type: TYPES[n % TYPES.length]!, source: SOURCES[n % SOURCES.length]!, key: `user-${n % 10_000}`, timestamp: new Date(at).toISOString(), data: { amount: n % 1000, page: `/p/${n % 50}`, note: `bench event ${n}` } },
        { now, newId: () => uuidv7(at) },
      );
    });
    const outcomes = await es.write(events);
    if (outcomes.some((o) => o.type !== 'ok')) throw new Error(`seeding failed: ${JSON.stringify(outcomes.find((o) => o.type !== 'ok'))}`);
    if (done < count + 100_000) await redis.write(events);
    if ((done / batch) % 20 === 0) log(`  seeded ${(done + events.length).toLocaleString()} / ${target.toLocaleString()} (${Math.round((done - count + events.length) / ((performance.now() - t) / 1000))}/s)`);
  }
  await fetch(`${esUrl}/${PREFIX}/_refresh`, { method: 'POST' });
  await es.close();
  await redis.close();
  return target;
}
