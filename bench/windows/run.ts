import postgres from 'postgres';
import { parsePipeline } from '../../shared/contracts/index.ts';
import { createPipeline, migratePipelines, setPipelineState } from '../../shared/stores/pipelines.ts';
import { peerFigure } from '../report/ratios.ts';
import { mean, printTable } from '../lib/run.ts';
import { workerBench } from '../lib/workers.ts';

/**
 * bench:windows — events/s through the workers with one windowed pipeline running (tumbling 1 min, count + sum + p95
 * of data.amount per key), beside the same workers' plain indexing rate over the same events, in the same run, in
 * alternating rounds. Each run has its own consumer group and stores, so every run does the full work.
 */
const quick = process.argv.includes('--quick');
const json = process.argv.includes('--json');
const N = quick ? 30_000 : 100_000;
const rounds = Number(process.env.BENCH_WINDOWS_ROUNDS ?? (quick ? 1 : 2));
const workers = Number(process.env.WORKERS_COUNT ?? 2);
const pgUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const log = (s: string) => (json ? process.stderr.write(`${s}\n`) : console.log(s));
const bench = workerBench({ brokers: process.env.KAFKA_BROKERS, esUrl: process.env.ELASTICSEARCH_URL, pgUrl, redisUrl: process.env.REDIS_URL });
const sql = postgres(pgUrl, { max: 1, onnotice: () => {} });

/** One cluster over the whole topic with a windowed pipeline running, in its own schema; returns its rate. */
async function windowedRun(name: string): Promise<{ eventsPerSec: number; windows: number }> {
  const env = bench.workerEnv(name);
  const schema = env.PIPELINES_SCHEMA!;
  await sql.unsafe(`create schema if not exists ${schema}`);
  await migratePipelines(sql, schema);
  const parsed = parsePipeline({
    name: 'bench amount per key',
    source: { topic: bench.topic },
    steps: [{ type: 'aggregate', window: { kind: 'tumbling', size: '1m', allowedLateness: '10s' }, field: 'data.amount', functions: ['count', 'sum', 'p95'] }],
  });
  if (!parsed.ok) throw new Error(`bench pipeline is invalid: ${parsed.message}`);
  const pipeline = await createPipeline(sql, schema, parsed.event);
  await setPipelineState(sql, schema, pipeline.id, 'running');
  const run = await bench.runUntilDrained(env, workers);
  await run.stop();
  const [{ windows }] = (await sql.unsafe(`select count(*)::int as windows from ${schema}.window_results`)) as unknown as [{ windows: number }];
  if (windows === 0) throw new Error('the windowed run wrote no window results');
  await bench.dropRun(env.WORKERS_GROUP_ID!);
  return { eventsPerSec: run.eventsPerSec, windows };
}

try {
  await bench.admin.createTopics([{ name: bench.topic, partitions: 6 }]);
  log(`bench:windows — ${N.toLocaleString()} events, ${workers} worker processes, ${rounds} rounds, topic ${bench.topic}`);
  await bench.produce(bench.makeEvents(N));
  // Plain and windowed alternate (A B A B): this machine's speed drifts within a minute, and one pair measured
  // anything from 0.72× to 0.93× for the same code; each side's rate is the mean of its rounds.
  const plainRates: number[] = [];
  const windowedRates: number[] = [];
  let windows = 0;
  for (let round = 1; round <= rounds; round++) {
    log(`  round ${round}/${rounds}: plain indexing (no pipeline) until the group has committed everything ...`);
    const plainEnv = bench.workerEnv(`plain${round}`);
    const plainRun = await bench.runUntilDrained(plainEnv, workers);
    await plainRun.stop();
    await bench.dropRun(plainEnv.WORKERS_GROUP_ID!);
    plainRates.push(plainRun.eventsPerSec);
    log(`  round ${round}/${rounds}: the same events with one windowed pipeline running ...`);
    const windowedRound = await windowedRun(`windowed${round}`);
    windowedRates.push(windowedRound.eventsPerSec);
    windows = windowedRound.windows;
    log(`    plain ${plainRates.at(-1)!.toFixed(0)} events/s, windowed ${windowedRates.at(-1)!.toFixed(0)} events/s`);
  }
  const plain = { eventsPerSec: mean(plainRates) };
  const windowed = { eventsPerSec: mean(windowedRates) };
  const ratio = windowed.eventsPerSec / plain.eventsPerSec;
  // In the report's figure shape, so `npm run bench` puts it in its table and chart.
  const figures = [
    peerFigure({
      id: 'windows-vs-plain',
      part: 'windows',
      label: 'Windows: one windowed pipeline / plain indexing',
      subject: { name: 'workers + windowed pipeline', value: windowed.eventsPerSec, unit: 'events/s' },
      reference: { name: 'workers, plain indexing', value: plain.eventsPerSec, unit: 'events/s' },
      target: { op: '>=', value: 0.8 },
    }),
  ];
  const result = { events: N, workers, rounds, plainRounds: plainRates, windowedRounds: windowedRates, plainEventsPerSec: plain.eventsPerSec, windowedEventsPerSec: windowed.eventsPerSec, ratio, windowResults: windows, figures };
  if (json) console.log(JSON.stringify(result));
  else {
    printTable(
      ['run', 'events/s'],
      [
        [`workers, plain indexing (${workers} processes, mean of ${rounds})`, plain.eventsPerSec.toFixed(0)],
        [`workers + one windowed pipeline (mean of ${rounds})`, windowed.eventsPerSec.toFixed(0)],
      ],
    );
    console.log(`\nratio  windowed / plain indexing   ${ratio.toFixed(2)}×  (target ≥ 0.8×; ${windows} window results per windowed run)`);
  }
} finally {
  await sql.end();
  await bench.cleanup();
}
