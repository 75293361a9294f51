import { parseCli } from '../shared/cli.ts';
import { authConfig } from '../shared/auth/config.ts';
import { loadConfig } from '../shared/config/index.ts';
import { connectionsConfig } from '../shared/config/connections.ts';
import { componentOf, numberOf, serviceConfig, stringOf } from '../infra/service-config.ts';
import { send } from './answer.ts';
import { expectation, withCredentials, type RunKeys } from './auth.ts';
import { fuzzRequest } from './bodies.ts';
import { gatewayRequest } from './graphql.ts';
import { findPlatform, sample } from './procs.ts';
import type { EdgeLimits } from './request.ts';
import { createTally, formatReport, problems, record, statusLine } from './report.ts';
import { settle } from './settle.ts';

const HELP = `usage: npm run fuzz -- [options]

Sends generated requests (valid, hostile and broken) to a running edge and gateway, then checks that nothing
answered with an undocumented 5xx, no platform process died, every accepted event reached Elasticsearch, Postgres
and Redis, and the workers' group has no lag left. Addresses and names come from the same settings the services
read (EDGE_PORT, QUERY_PORT, WORKERS_*, SINK_*, KAFKA_BROKERS, AUTH, ...); the flags override them.

With API keys on (AUTH, default on) and --api-key given, some requests carry hostile credentials instead (none,
malformed, unknown, revoked, another scope's key, headers of 8-100 KB): any of those accepted is a failure, as is
the run's own key refused as unknown, or a 401/403/429 whose code the README does not list.

  --requests N          requests to send (default 10000)
  --seed N              the same seed sends the same requests (default 1)
  --concurrency N       requests in flight (default 16)
  --max-seconds N       stop sending after this long (default 900)
  --settle-seconds N    how long to wait for the workers to catch up (default 120)
  --timeout-ms N        a request without an answer after this long counts as a failure (default 30000)
  --gateway-share F     fraction of requests sent to the gateway (default 0.15)
  --edge-url URL        default http://127.0.0.1:<EDGE_PORT>
  --gateway-url URL     default http://127.0.0.1:<QUERY_PORT>
  --api-key KEY         a key with the ingest scope, sent as Authorization: Bearer to the edge, and to the gateway
                        too without --read-key (npm run keys -- create --name fuzz --scopes ingest)
  --read-key KEY        a key with the read scope, sent to the gateway; the edge is also sent it as a key without
                        the ingest scope (403 insufficient_scope), and the gateway the ingest key
  --revoked-key KEY     a revoked key (npm run keys -- revoke NAME), sent now and then; without it, an unknown one
  --pids LIST           more platform pids to watch (comma separated)
  --no-check            skip the store and lag check
  --help                this text

Exit code 0 when everything passed, 1 otherwise.`;

const { values: opts } = parseCli({
  usage: HELP,
  options: {
    requests: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '16' },
    'max-seconds': { type: 'string', default: '900' },
    'settle-seconds': { type: 'string', default: '120' },
    'timeout-ms': { type: 'string', default: '30000' },
    'gateway-share': { type: 'string', default: '0.15' },
    'edge-url': { type: 'string' },
    'gateway-url': { type: 'string' },
    'api-key': { type: 'string' },
    'read-key': { type: 'string' },
    'revoked-key': { type: 'string' },
    pids: { type: 'string', default: '' },
    'no-check': { type: 'boolean', default: false },
  },
});

function num(name: keyof typeof opts, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(opts[name]);
  if (!Number.isFinite(n) || n < min || n > max) {
    console.error(`error: --${name} expects a number from ${min} to ${max}, got ${JSON.stringify(opts[name])}`);
    process.exit(2);
  }
  return n;
}
const planned = Math.floor(num('requests', 0));
const seed = Math.floor(num('seed', 0, 2 ** 32 - 1));
const concurrency = Math.floor(num('concurrency', 1, 1024));
const maxSeconds = num('max-seconds', 1);
const settleSeconds = num('settle-seconds', 0);
const timeoutMs = num('timeout-ms', 100);
const gatewayShare = num('gateway-share', 0, 1);

const edgeSettings = componentOf(serviceConfig('edge'), 'edge');
const edge: EdgeLimits = {
  maxEventsPerRequest: numberOf(edgeSettings, 'maxEventsPerRequest'),
  maxEventBytes: numberOf(edgeSettings, 'maxEventBytes'),
  maxBodyBytes: numberOf(edgeSettings, 'maxBodyBytes'),
};
const workersPrinted = serviceConfig('workers');
const workers = componentOf(workersPrinted, 'workers');
const conn = loadConfig(connectionsConfig);
const edgeUrl = (opts['edge-url'] ?? `http://127.0.0.1:${numberOf(edgeSettings, 'port')}`).replace(/\/$/, '');
const gatewayUrl = (opts['gateway-url'] ?? `http://127.0.0.1:${numberOf(componentOf(serviceConfig('query'), 'query'), 'port')}`).replace(/\/$/, '');
const portOf = (url: string) => Number(new URL(url).port || 80);

const t0 = performance.now();
const elapsed = () => (performance.now() - t0) / 1000;
const log = (line: string) => console.log(`[${elapsed().toFixed(1).padStart(6)}s] ${line}`);

const workersMetricsPort = numberOf(workers, 'metricsPort');
const workerPorts = workersMetricsPort === 0 ? [] : Array.from({ length: numberOf(workers, 'count') }, (_, i) => ['workers', workersMetricsPort + i] as const);
const givenPids = opts.pids.split(',').filter(Boolean).map(Number);
const processes = findPlatform([['edge', portOf(edgeUrl)], ['gateway', portOf(gatewayUrl)], ...workerPorts], givenPids);
log(`edge ${edgeUrl}, gateway ${gatewayUrl}; watching ${processes.map((p) => `${p.name} pid ${p.pid}`).join(', ') || 'no process'}`);

const keys: RunKeys = { ingest: opts['api-key'], read: opts['read-key'], revoked: opts['revoked-key'] };
// Answers are held to what keys require only when the platform has them on and the run was given one to send.
const keysOn = loadConfig(authConfig).mode === 'on' && keys.ingest !== undefined;
log(keysOn ? `API keys on: ingest key${keys.read ? ', read key' : ''}${keys.revoked ? ', revoked key' : ''} given` : 'API keys: not checked (AUTH=off or no --api-key)');

const tally = createTally();
const ids = new Set<string>();
let next = 0;
let stopping = false;
process.once('SIGINT', () => (stopping = true));
const deadline = t0 + maxSeconds * 1000;

async function lane(): Promise<void> {
  while (!stopping && performance.now() < deadline) {
    const index = next++;
    if (index >= planned) return;
    const req = withCredentials(fuzzRequest(seed, index, edge, gatewayRequest, gatewayShare), keys);
    const answer = await send(req.target === 'edge' ? edgeUrl : gatewayUrl, req, timeoutMs, keysOn ? expectation(req, keys) : undefined);
    record(tally, index, req.kind, answer);
    for (const id of answer.acceptedIds) ids.add(id);
  }
}

const sampler = setInterval(() => sample(processes), 1000);
let lastSent = 0;
const progress = setInterval(() => {
  const rate = (tally.sent - lastSent) / 3;
  lastSent = tally.sent;
  log(`${tally.sent}/${planned} requests (${rate.toFixed(0)}/s) ${statusLine(tally)}; accepted events ${tally.accepted}; failures ${tally.failureCount}`);
}, 3000);
await Promise.all(Array.from({ length: concurrency }, lane));
clearInterval(progress);
const sendSeconds = elapsed();
log(`sent ${tally.sent}/${planned} requests in ${sendSeconds.toFixed(1)}s ${statusLine(tally)}`);

const settled = opts['no-check']
  ? undefined
  : await settle(
      {
        brokers: conn.kafkaBrokers,
        topic: stringOf(workers, 'topic'),
        groupId: stringOf(workers, 'groupId'),
        elasticsearchUrl: conn.elasticsearchUrl,
        esAlias: stringOf(componentOf(workersPrinted, 'workers.elasticsearch'), 'alias'),
        databaseUrl: conn.databaseUrl,
        pgSchema: stringOf(componentOf(workersPrinted, 'workers.postgres'), 'schema'),
        redisUrl: conn.redisUrl,
        redisPrefix: stringOf(componentOf(workersPrinted, 'workers.redis'), 'keyPrefix'),
      },
      [...ids],
      settleSeconds,
      log,
    );
clearInterval(sampler);
sample(processes);

const summary = { planned, seconds: sendSeconds, seed, tally, distinctIds: ids.size, processes, settled };
console.log(`\n${formatReport(summary)}`);
process.exit(problems(summary).length === 0 ? 0 : 1);
