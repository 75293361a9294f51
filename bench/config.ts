import * as v from 'valibot';
import { defineConfig, loadConfig, setting, type ConfigOf } from '../shared/config/index.ts';

const count = v.pipe(v.number(), v.integer(), v.minValue(1));
const countOrAuto = v.pipe(v.number(), v.integer(), v.minValue(0));

/**
 * The benches' own knobs. The services a bench starts read their settings (EDGE_*, WORKERS_*, connections) the way
 * they always do; a bench learns them through `--print-config` (infra/service-config.ts) rather than re-reading env.
 */
export const benchConfig = defineConfig('bench', 'BENCH', {
  connections: setting(count, 512, 'bench:edge: wrk connections for single events (512 keeps the edge CPU-bound; see bench/edge/run.ts).'),
  batchConnections: setting(count, 64, 'bench:edge: wrk connections for batches of 100 events, and the bare Kafka client\'s groups in flight.'),
  edgeRounds: setting(countOrAuto, 0, 'bench:edge: rounds of single events and batches, the order reversed each round; 0: 2, or 1 with --quick.'),
  workersRounds: setting(countOrAuto, 0, 'bench:workers: rounds per sink; 0: 2, or 1 with --quick.'),
  windowsRounds: setting(countOrAuto, 0, 'bench:windows: rounds; 0: 2, or 1 with --quick.'),
  queryEvents: setting(countOrAuto, 0, 'bench:query: events seeded into the stores before querying; 0: 1,000,000, or 100,000 with --quick.'),
});

export type BenchConfig = ConfigOf<typeof benchConfig>;

export const loadBenchConfig = (env: Record<string, string | undefined> = process.env): BenchConfig => loadConfig(benchConfig, env);

/** A setting whose 0 means "the default for this run": `full`, or `quick` with --quick. */
export const orAuto = (value: number, quick: boolean, full: number, fast: number): number => (value > 0 ? value : quick ? fast : full);
