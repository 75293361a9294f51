import { runFailover } from '../../infra/cluster/scenario.ts';
import { parseCli } from '../../shared/cli.ts';
import { printTable } from '../lib/run.ts';
import { limitFigure } from '../report/ratios.ts';

/**
 * `bun bench/failover/run.ts [--json]`: the failover scenario of infra/cluster/failover.test.ts (three Kafka nodes of
 * its own beside the default broker; 60 requests/s of 4 events for 40 s; kill -9 of the busiest partition's leader
 * 12 s in, restarted 15 s later) measured instead of asserted. Progress goes to stderr; with --json the last stdout
 * line is the result.
 */
const USAGE = `usage: bun bench/failover/run.ts [--json]
  --json    print the result as the last stdout line, as JSON`;
const json = parseCli({ usage: USAGE, options: { json: { type: 'boolean' } } }).values.json === true;
const result = await runFailover({ log: (line) => console.error(`failover: ${line}`) });
const out = {
  killedNode: result.killed.node,
  requests: result.load.requests.length,
  acceptedEvents: result.load.accepted.size,
  failedEvents: result.load.failed.size,
  resends: result.load.resends,
  p99BeforeMs: result.p99BeforeMs,
  p99FailoverMs: result.p99FailoverMs,
  failoverRequests: result.failoverRequests,
  failoverNon2xx: result.failoverNon2xx,
  secondsUntilLagZero: result.secondsUntilLagZero ?? null,
  storesExactlyOnce: Object.values(result.stores).every((t) => t.missing === 0 && t.duplicates === 0),
};
// In the report's figure shape, so `npm run bench` puts the two rows in its table (reported, no target).
const figures = [
  limitFigure({
    id: 'failover-p99',
    part: 'failover',
    label: 'Failover: p99 request latency during leader loss',
    subject: { name: `edge, ${out.failoverRequests} requests while a leader was down`, value: out.p99FailoverMs, unit: 'ms' },
    note: `p99 before the kill ${Math.round(out.p99BeforeMs).toLocaleString("en-US")} ms; ${out.failoverNon2xx} of them not 2xx; stored exactly once: ${out.storesExactlyOnce}`,
  }),
  limitFigure({
    id: 'failover-lag',
    part: 'failover',
    label: 'Failover: seconds until lag is zero',
    subject: { name: 'workers', value: out.secondsUntilLagZero ?? undefined, unit: 's' },
  }),
];
if (json) console.log(JSON.stringify({ ...out, figures }));
else {
  printTable(
    ['what', 'value'],
    [
      ['Failover: p99 request latency during leader loss', `${out.p99FailoverMs.toFixed(0)} ms (${out.p99BeforeMs.toFixed(0)} ms before)`],
      ['Failover: seconds until lag is zero', out.secondsUntilLagZero === null ? 'not within 120 s' : `${out.secondsUntilLagZero.toFixed(1)} s`],
      ['Failover: accepted events in every store exactly once', out.storesExactlyOnce ? `yes (${out.acceptedEvents})` : 'NO'],
    ],
  );
}
process.exitCode = out.storesExactlyOnce && out.failedEvents === 0 ? 0 : 1;
