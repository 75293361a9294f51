import postgres from 'postgres';
import { parsePipeline } from '../../shared/contracts/index.ts';
import { createPipeline, migratePipelines, setPipelineState } from '../../shared/stores/pipelines.ts';
import { peerFigure } from '../report/ratios.ts';
import { parseCli } from '../../shared/cli.ts';
import { connectionsConfig } from '../../shared/config/connections.ts';
import { loadConfig } from '../../shared/config/index.ts';
import { componentOf, numberOf, serviceConfig } from '../../infra/service-config.ts';
import { loadBenchConfig, orAuto } from '../config.ts';
import { mean, printTable } from '../lib/run.ts';
import { workerBench } from '../lib/workers.ts';

/**
 * bench:windows — events/s through the workers with one windowed pipeline running (tumbling 1 min, count + sum + p95
 * of data.amount per key), beside the same workers' plain indexing rate over the same events, in the same run, in
 * alternating rounds. Each run has its own consumer group and stores, so every run does the full work.
 */
const USAGE = `usage: bun bench/windows/run.ts [--quick] [--json]
  --quick   30,000 events instead of 100,000, one round
  --json    print the result as one JSON line (progress goes to stderr)
settings: BENCH_WINDOWS_ROUNDS, WORKERS_COUNT and the connections (docs/configuration.md)`;
const { values } = parseCli({ usage: USAGE, options: { quick: { type: 'boolean' }, json: { type: 'boolean' } } });
const quick = values.quick === true;
const json = values.json === true;
const N = quick ? 30_000 : 100_000;
const conn = loadConfig(connectionsConfig);
const rounds = orAuto(loadBenchConfig().windowsRounds, quick, 2, 1);
const workers = numberOf(componentOf(serviceConfig('workers'), 'workers'), 'count');
const pgUrl = conn.databaseUrl;
const log = (s: string) => (json ? process.stderr.write(`${s}\n`) : console.log(s));
const bench = workerBench({ brokers: conn.kafkaBrokers, esUrl: conn.elasticsearchUrl, pgUrl, redisUrl: conn.redisUrl });
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
