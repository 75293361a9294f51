import { parseCli } from '../../shared/cli.ts';
import { connectionsConfig } from '../../shared/config/connections.ts';
import { loadConfig } from '../../shared/config/index.ts';
import { componentOf, numberOf, serviceConfig } from '../../infra/service-config.ts';
import { loadBenchConfig, orAuto } from '../config.ts';
import { mean, printTable } from '../lib/run.ts';
import { workerBench } from '../lib/workers.ts';
import { rawBatchInsert, rawBulkLoad } from './raw.ts';

/**
 * bench:workers — events/s through the worker cluster into all three stores, beside the raw rate of the slowest
 * store (a plain _bulk loader, a plain batched insert) with the same documents, in the same run; then how long the
 * lag takes to drain once a steady load stops.
 */
const USAGE = `usage: bun bench/workers/run.ts [--quick] [--json]
  --quick   40,000 events instead of 200,000, one round
  --json    print the result as one JSON line (progress goes to stderr)
settings: BENCH_WORKERS_ROUNDS, WORKERS_COUNT and the connections (docs/configuration.md)`;
const { values } = parseCli({ usage: USAGE, options: { quick: { type: 'boolean' }, json: { type: 'boolean' } } });
const quick = values.quick === true;
const json = values.json === true;
const N = quick ? 40_000 : 200_000;
const conn = loadConfig(connectionsConfig);
const workers = numberOf(componentOf(serviceConfig('workers'), 'workers'), 'count');
const rounds = orAuto(loadBenchConfig().workersRounds, quick, 2, 1);
const esUrl = conn.elasticsearchUrl;
const pgUrl = conn.databaseUrl;
// With --json, progress goes to stderr so stdout stays the one result line.
const log = (s: string) => (json ? process.stderr.write(`${s}\n`) : console.log(s));
const bench = workerBench({ brokers: conn.kafkaBrokers, esUrl, pgUrl, redisUrl: conn.redisUrl });

try {
  await bench.admin.createTopics([{ name: bench.topic, partitions: 6 }]);
  log(`bench:workers — ${N.toLocaleString()} events, ${workers} worker processes, topic ${bench.topic}`);
  const events = bench.makeEvents(N);
  // Untimed first: a search node that has just started indexes its first documents far slower (the JIT is cold), and
  // a cold reference made the ratio swing from 0.72× to 0.99× between runs of the same code.
  await rawBulkLoad(esUrl, events.slice(0, Math.min(events.length, 50_000)));
  log(`  producing ${N.toLocaleString()} events to Kafka ...`);
  await bench.produce(events);
  // Reference and workers alternate (A B A B) and each side is the mean of its rounds: this box's speed drifts within a
  // minute, and single pairs of the same code read 0.77×, 0.79× and 0.84×.
  const esRates: number[] = [];
  const pgRates: number[] = [];
  const workerRates: number[] = [];
  let run: Awaited<ReturnType<typeof bench.runUntilDrained>> | undefined;
  let env: Record<string, string | undefined> = {};
  for (let round = 1; round <= rounds; round++) {
    if (run) {
      await run.stop();
      await bench.dropRun(env.WORKERS_GROUP_ID!);
    }
    log(`  round ${round}/${rounds}: raw references (plain _bulk loader, plain batched insert, same documents) ...`);
    esRates.push(await rawBulkLoad(esUrl, events));
    pgRates.push(await rawBatchInsert(pgUrl, events));
    log(`  round ${round}/${rounds}: ${workers} workers until the group's lag is zero ...`);
    env = bench.workerEnv(`plain${round}`);
    run = await bench.runUntilDrained(env, workers);
    workerRates.push(run.eventsPerSec);
    log(`    raw _bulk ${esRates.at(-1)!.toFixed(0)} docs/s, workers ${run.eventsPerSec.toFixed(0)} events/s`);
  }
  if (!run) throw new Error('no rounds ran (BENCH_WORKERS_ROUNDS must be at least 1)');
  const esRaw = mean(esRates);
  const pgRaw = mean(pgRates);
  const workersRate = mean(workerRates);

  log('  steady load at half that rate for 10 s, then measuring how long the lag takes to drain ...');
  const perTick = Math.max(1, Math.round(workersRate / 2 / 10));
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
  const result = { events: N, workers, rounds, workersRounds: workerRates, esRawRounds: esRates, workersEventsPerSec: workersRate, esRawDocsPerSec: esRaw, pgRawRowsPerSec: pgRaw, ratioVsSlowestStore: workersRate / slowest, drainSeconds, workerPeakRssBytes: rss.peakProcessBytes, workersPeakRssTotalBytes: rss.peakTotalBytes };
  if (json) console.log(JSON.stringify(result));
  else {
    printTable(
      ['what', 'events/s'],
      [
        [`workers → Elasticsearch + Postgres + Redis (${workers} processes, mean of ${rounds})`, workersRate.toFixed(0)],
        [`raw _bulk loader → Elasticsearch (mean of ${rounds})`, esRaw.toFixed(0)],
        [`raw batched insert → Postgres (mean of ${rounds})`, pgRaw.toFixed(0)],
      ],
    );
    console.log(`
ratio  workers / slowest store's raw rate     ${result.ratioVsSlowestStore.toFixed(2)}×  (target ≥ 0.8×)
lag    back to zero after a steady load stops ${drainSeconds.toFixed(1)} s  (target ≤ 5 s)`);
  }
} finally {
  await bench.cleanup();
}
