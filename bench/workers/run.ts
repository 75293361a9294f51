import { printTable } from '../lib/run.ts';
import { workerBench } from '../lib/workers.ts';
import { rawBatchInsert, rawBulkLoad } from './raw.ts';

/**
 * bench:workers — events/s through the worker cluster into all three stores, beside the raw rate of the slowest
 * store (a plain _bulk loader, a plain batched insert) with the same documents, in the same run; then how long the
 * lag takes to drain once a steady load stops.
 */
const quick = process.argv.includes('--quick');
const json = process.argv.includes('--json');
const N = quick ? 40_000 : 200_000;
const workers = Number(process.env.WORKERS_COUNT ?? 2);
const esUrl = process.env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200';
const pgUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
// With --json, progress goes to stderr so stdout stays the one result line.
const log = (s: string) => (json ? process.stderr.write(`${s}\n`) : console.log(s));
const bench = workerBench({ brokers: process.env.KAFKA_BROKERS, esUrl, pgUrl, redisUrl: process.env.REDIS_URL });

try {
  await bench.admin.createTopics([{ name: bench.topic, partitions: 6 }]);
  log(`bench:workers — ${N.toLocaleString()} events, ${workers} worker processes, topic ${bench.topic}`);
  const events = bench.makeEvents(N);
  log('  raw references: plain _bulk loader and plain batched insert, same documents ...');
  // Untimed first: a search node that has just started indexes its first documents far slower (the JIT is cold), and
  // a cold reference made the ratio swing from 0.72× to 0.99× between runs of the same code.
  await rawBulkLoad(esUrl, events.slice(0, Math.min(events.length, 50_000)));
  const esRaw = await rawBulkLoad(esUrl, events);
  const pgRaw = await rawBatchInsert(pgUrl, events);
  log(`  producing ${N.toLocaleString()} events to Kafka ...`);
  await bench.produce(events);
  log(`  running ${workers} workers until the group's lag is zero ...`);
  const env = bench.workerEnv('plain');
  const run = await bench.runUntilDrained(env, workers);

  log('  steady load at half that rate for 10 s, then measuring how long the lag takes to drain ...');
  const perTick = Math.max(1, Math.round(run.eventsPerSec / 2 / 10));
  for (let t = 0; t < 100; t++) {
    const tick = performance.now();
    await bench.produce(bench.makeEvents(perTick));
    await Bun.sleep(Math.max(0, 100 - (performance.now() - tick)));
  }
  const stopped = performance.now();
  while ((await bench.lagOf(env.WORKERS_GROUP_ID!)) > 0n) await Bun.sleep(50);
  const drainSeconds = (performance.now() - stopped) / 1000;
  const rss = await run.stop();

  const slowest = Math.min(esRaw, pgRaw);
  const result = { events: N, workers, workersEventsPerSec: run.eventsPerSec, esRawDocsPerSec: esRaw, pgRawRowsPerSec: pgRaw, ratioVsSlowestStore: run.eventsPerSec / slowest, drainSeconds, workerPeakRssBytes: rss.peakProcessBytes, workersPeakRssTotalBytes: rss.peakTotalBytes };
  if (json) console.log(JSON.stringify(result));
  else {
    printTable(
      ['what', 'events/s'],
      [
        [`workers → Elasticsearch + Postgres + Redis (${workers} processes)`, run.eventsPerSec.toFixed(0)],
        ['raw _bulk loader → Elasticsearch', esRaw.toFixed(0)],
        ['raw batched insert → Postgres', pgRaw.toFixed(0)],
      ],
    );
    console.log(`
ratio  workers / slowest store's raw rate     ${result.ratioVsSlowestStore.toFixed(2)}×  (target ≥ 0.8×)
lag    back to zero after a steady load stops ${drainSeconds.toFixed(1)} s  (target ≤ 5 s)`);
  }
} finally {
  await bench.cleanup();
}
