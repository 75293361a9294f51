import { join } from 'node:path';
import { connectionsConfig } from '../shared/config/connections.ts';
import { loadConfig } from '../shared/config/index.ts';
import { readStatusFile } from '../shared/supervisor-status.ts';
import type { ChildStatus } from '../shared/supervisor.ts';
import { processStatusDir } from './platform.ts';
import { componentOf, numberOf, serviceConfig, stringOf, type ServiceName } from './service-config.ts';
import { alive } from './process.ts';
import { status as serverStates, type Stack } from './stack.ts';
import { probeKafka } from './status-kafka.ts';
import { probeHttp, probePostgres, probeRedis, probeSearch, reachable } from './status-probes.ts';
import type { KafkaStatus, ProcessRow, StatusReport } from './status-report.ts';
import { renderStatus } from './status-table.ts';

/** Every probe's own bound; all of them run at once, so together they take about this long even when all is down. */
const PROBE_TIMEOUT_MS = 1000;

const hostOf = (hostname: string) => (hostname === '' || hostname === '0.0.0.0' || hostname === '::' ? '127.0.0.1' : hostname.includes(':') ? `[${hostname}]` : hostname);
const indexOf = (name: string) => Number(/(\d+)$/.exec(name)?.[1] ?? 0);

/** The ports and names the services use, as each service reads them from `env` (service-config.ts). */
function settingsOf(env: Record<string, string | undefined>) {
  const of = (service: ServiceName) => componentOf(serviceConfig(service, env), service);
  const [edge, workers, query] = [of('edge'), of('workers'), of('query')];
  return {
    edge: { hostname: stringOf(edge, 'hostname'), port: numberOf(edge, 'port'), adminPort: numberOf(edge, 'adminPort') },
    workers: {
      metricsHostname: stringOf(workers, 'metricsHostname'),
      metricsPort: numberOf(workers, 'metricsPort'),
      count: numberOf(workers, 'count'),
      groupId: stringOf(workers, 'groupId'),
      topic: stringOf(workers, 'topic'),
    },
    query: { hostname: stringOf(query, 'hostname'), port: numberOf(query, 'port') },
  };
}
type Settings = ReturnType<typeof settingsOf>;

async function processRows(stack: Stack, { edge, workers, query }: Settings): Promise<ProcessRow[]> {
  const dir = processStatusDir(stack.ctx.home);
  const [platform, edgeProcs, workerProcs] = await Promise.all(['platform', 'edge', 'workers'].map((n) => supervisedAlive(join(dir, `${n}.json`))));
  const edgePublic = `http://${hostOf(edge.hostname)}:${edge.port}`;
  const targets: Array<{ service: ProcessRow['service']; name: string; child?: ChildStatus; base: string | undefined }> = [];
  const fromPlatform = (name: string) => platform?.find((p) => p.name === name);
  if (edgeProcs) for (const c of edgeProcs) targets.push({ service: 'edge', name: c.name, child: c, base: edge.adminPort === 0 ? edgePublic : `http://127.0.0.1:${edge.adminPort + indexOf(c.name)}` });
  else targets.push({ service: 'edge', name: 'edge', child: fromPlatform('edge'), base: edgePublic });
  const workerBase = (i: number) => (workers.metricsPort === 0 ? undefined : `http://${hostOf(workers.metricsHostname)}:${workers.metricsPort + i}`);
  if (workerProcs) for (const c of workerProcs) targets.push({ service: 'workers', name: c.name, child: c, base: workerBase(indexOf(c.name)) });
  else if (fromPlatform('workers')) targets.push({ service: 'workers', name: 'workers', child: fromPlatform('workers'), base: workerBase(0) });
  else for (let i = 0; i < workers.count; i++) targets.push({ service: 'workers', name: `worker-${i}`, base: workerBase(i) });
  targets.push({ service: 'query', name: 'query', child: fromPlatform('query'), base: `http://${hostOf(query.hostname)}:${query.port}` });
  return Promise.all(targets.map(async ({ service, name, child, base }): Promise<ProcessRow> => {
    const probe = base ? await probeHttp(base, PROBE_TIMEOUT_MS) : { healthy: false, ready: false, reason: 'its port is picked at start (0); not probed' };
    return {
      service,
      name,
      pid: child?.pid ?? null,
      uptimeMs: child?.uptimeMs ?? null,
      restarts: child?.restarts ?? null,
      state: child?.state ?? (probe.healthy ? 'unsupervised' : 'down'),
      ...probe,
    };
  }));
}

/** The processes a status file lists; none when there is no file, or the supervisor that wrote it is gone (left over). */
async function supervisedAlive(file: string): Promise<readonly ChildStatus[] | undefined> {
  const body = await readStatusFile(file).catch(() => undefined);
  return body && body.processes.length > 0 && alive(body.pid) ? body.processes : undefined;
}

async function kafkaStatus(bootstrap: string, { groupId, topic }: Settings['workers']): Promise<KafkaStatus> {
  const configured = bootstrap.split(',').map((s) => s.trim()).filter(Boolean);
  const answer = await probeKafka({ brokers: bootstrap, groupId, topic, timeoutMs: PROBE_TIMEOUT_MS }, PROBE_TIMEOUT_MS * 3);
  const known = answer.ok ? answer.report.brokers.map((b) => ({ id: b.id as number | null, address: `${b.host}:${b.port}` })) : [];
  // A node that is down is missing from the metadata; the configured addresses show it anyway.
  for (const address of configured) if (!known.some((k) => k.address === address)) known.push({ id: null, address });
  const brokers = await Promise.all(known.map(async (b) => {
    const at = b.address.lastIndexOf(':');
    return { ...b, reachable: await reachable(b.address.slice(0, at), Number(b.address.slice(at + 1)), PROBE_TIMEOUT_MS) };
  }));
  if (!answer.ok) return { bootstrap, topic, groupId, error: answer.error, brokers, topicExists: false, partitions: [] };
  const num = (n: bigint | null) => (n === null ? null : Number(n));
  const partitions = answer.report.partitions.map((p) => ({ ...p, highWatermark: num(p.highWatermark), committed: num(p.committed), lag: num(p.lag) }));
  return { bootstrap, topic, groupId, brokers, topicExists: answer.report.topicExists, partitions };
}

function problemsOf(r: Omit<StatusReport, 'healthy' | 'problems'>): string[] {
  const problems: string[] = [];
  for (const p of r.processes) {
    if (!p.healthy) problems.push(`${p.name} is down`);
    else if (!p.ready) problems.push(`${p.name} is not ready`);
    else if (p.state !== 'running' && p.state !== 'unsupervised') problems.push(`${p.name} is ${p.state}`);
  }
  if (r.kafka.error) problems.push(`kafka: ${r.kafka.error}`);
  for (const b of r.kafka.brokers) if (!b.reachable) problems.push(`kafka broker ${b.address} is unreachable`);
  for (const p of r.kafka.partitions) {
    if (p.leader < 0) problems.push(`${r.kafka.topic}[${p.partition}] has no leader`);
    else if (p.isr < p.replicas) problems.push(`${r.kafka.topic}[${p.partition}] has ${p.isr} of ${p.replicas} replicas in sync`);
  }
  for (const [name, s] of Object.entries(r.stores)) if (!s.healthy) problems.push(`${name}: ${s.detail}`);
  for (const s of r.servers) if (s.state === 'stopped') problems.push(`${s.name} server is stopped`);
  return problems;
}

/** Everything `npm run status` shows, every probe at once, each bounded by PROBE_TIMEOUT_MS. */
export async function statusReport(stack: Stack, env: Record<string, string | undefined> = process.env): Promise<StatusReport> {
  const conn = loadConfig(connectionsConfig, env);
  const settings = settingsOf(env);
  const [processes, kafka, elasticsearch, postgres, redis, servers] = await Promise.all([
    processRows(stack, settings),
    kafkaStatus(stack.kafkaBrokers, settings.workers),
    probeSearch(conn.elasticsearchUrl, PROBE_TIMEOUT_MS),
    probePostgres(conn.databaseUrl, PROBE_TIMEOUT_MS),
    probeRedis(conn.redisUrl, PROBE_TIMEOUT_MS),
    serverStates(stack),
  ]);
  const parts = { processes, kafka, stores: { elasticsearch, postgres, redis }, servers };
  const problems = problemsOf(parts);
  return { healthy: problems.length === 0, problems, ...parts };
}

/** `npm run status [-- --json]` and `npm run stack -- status`: the table (or JSON); 0 when all is healthy, else 1. */
export async function statusCommand(stack: Stack, args: readonly string[]): Promise<number> {
  const report = await statusReport(stack);
  console.log(args.includes('--json') ? JSON.stringify(report, null, 2) : renderStatus(report));
  return report.healthy ? 0 : 1;
}
