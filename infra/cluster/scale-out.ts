import { join } from 'node:path';
import type { PartitionLagState } from '../../shared/kafka/lag.ts';
import { freePort } from '../../shared/testing/ports.ts';
import { createIsolatedKeys, isolatedEnv, isolationId, removeIsolated } from '../isolation.ts';
import { startApps, stopApps, type AppProcess, type RunningApp } from '../platform.ts';
import { ROOT } from '../stack.ts';
import { startLocalCluster, type LocalCluster } from './cluster.ts';
import { describeView, type GroupView } from './group.ts';
import { waitForSplit, waitForZeroLag } from './group-probe.ts';
import { createLoadClient, type LoadResult } from './load.ts';
import { tallyStores, type StoreTally } from './stores.ts';

/**
 * Scaling out on one box as on several: a three-node cluster of its own, two edge services on two ports (as two
 * machines behind a load balancer) and worker processes in one consumer group, each a service of its own as on its own
 * machine. Under steady load a third worker joins and then one of the first two is killed with SIGKILL; Kafka's own
 * view of the group (Admin.describeGroup, in a process of its own) is read after each change, and every store is
 * tallied by event id at the end.
 */
export interface ScaleOutOptions {
  partitions?: number;
  ratePerSecond?: number;
  eventsPerRequest?: number;
  /** Load before the third worker is started, and after the survivors own every partition, before it stops. */
  leadSeconds?: number;
  /** Upper bound of the load; it normally stops `leadSeconds` after the survivors took over. */
  maxSeconds?: number;
  /** The workers' session timeout: how long the killed worker keeps its partitions before the group moves them. */
  sessionTimeoutMs?: number;
  log?: (line: string) => void;
}

/** A worker process: its name, pid (in its client id, `event-lens-workers-<pid>`) and messages it processed. */
export interface WorkerRecord {
  name: string;
  clientId: string;
  processed: number;
}

export interface ScaleOutResult {
  topic: string;
  partitions: number;
  /** Kafka's view of the group with the first two workers, after the third joined, after one was killed. */
  views: { two: GroupView; joined: GroupView; survivors: GroupView };
  workers: { first: WorkerRecord; second: WorkerRecord; joiner: WorkerRecord };
  killed: WorkerRecord;
  /**
   * Seconds into the load: the third worker started, Kafka showed three members splitting the topic, the first worker
   * killed, Kafka showed the two survivors owning it all, the load stopped. Reported, not asserted.
   */
  at: { join: number; joined: number; kill: number; takenOver: number; loadEnd: number };
  load: LoadResult;
  /** Whether every partition's lag read 0 once the load ended (bounded wait), and the partitions as read then. */
  drained: boolean;
  lag: readonly PartitionLagState[];
  stores: { elasticsearch: StoreTally; postgres: StoreTally; redis: StoreTally };
}

// Apart from the failover scenario's nodes (29092-29097) and home, so either can run while the other does.
export const CLUSTER_HOME = join(ROOT, '.stack', 'scale-out');
/** Client port of node 1; the nodes listen on 29192-29197. */
export const CLUSTER_PORT = 29192;
// The killed worker stays down: a dead machine is not back in seconds, and a restart would rejoin the group.
const NO_RESTART = { initialMs: 3_600_000, maxMs: 3_600_000, resetAfterMs: 3_600_000 };

export async function runScaleOut({
  partitions = 12,
  ratePerSecond = 30,
  eventsPerRequest = 5,
  leadSeconds = 5,
  maxSeconds = 150,
  sessionTimeoutMs = 6000,
  log = () => {},
}: ScaleOutOptions = {}): Promise<ScaleOutResult> {
  const id = isolationId('scale-out');
  const home = CLUSTER_HOME;
  const started: RunningApp[][] = [];
  const stop = new AbortController();
  let cluster: LocalCluster | undefined;
  try {
    log('starting a three-node Kafka cluster');
    cluster = await startLocalCluster({ home, port: CLUSTER_PORT, fresh: true, log });
    // Kafka's view of the group is read by processes of their own (group-probe.ts), so no admin client outlives this step.
    await cluster.withAdmin((admin) => admin.createTopics([{ name: id, partitions, replicationFactor: -1 }, { name: `${id}.dlq`, partitions: 1, replicationFactor: -1 }]));
    const keys = await createIsolatedKeys(id);
    const env = {
      ...isolatedEnv(id, { edge: 0, workers: 0, query: 0 }),
      KAFKA_BROKERS: cluster.brokers,
      EDGE_PROCESSES: '1',
      EDGE_HOSTNAME: '127.0.0.1',
      WORKERS_COUNT: '1',
      WORKERS_SESSION_TIMEOUT_MS: String(sessionTimeoutMs),
    };
    const edgePorts = [freePort(), freePort()];
    const edge = (i: number): AppProcess => ({
      name: `edge-${i + 1}`,
      entry: 'edge/server.ts',
      readyUrl: `http://127.0.0.1:${edgePorts[i]}/readyz`,
      env: { ...env, EDGE_PORT: String(edgePorts[i]) },
    });
    const metricsPorts = [freePort(), freePort(), freePort()];
    const worker = (i: number): AppProcess => ({
      name: `worker-${i + 1}`,
      entry: 'workers/main.ts',
      readyUrl: `http://127.0.0.1:${metricsPorts[i]}/healthz`,
      env: { ...env, WORKERS_METRICS_PORT: String(metricsPorts[i]) },
    });
    const start = async (apps: AppProcess[]) => {
      const running = await startApps(ROOT, home, apps, log, 60_000, { backoff: NO_RESTART });
      started.push(running);
      return running;
    };
    await start([edge(0), edge(1)]);
    const [first, second] = (await start([worker(0), worker(1)])) as [RunningApp, RunningApp];
    const group = { groupId: id, topic: id, partitions };
    const two = await waitForSplit(cluster.brokers, { ...group, members: 2 });
    log(`two workers: ${describeView(two)}`);

    let elapsed = 0;
    let loadEnded = false;
    const urls = edgePorts.map((p) => `http://127.0.0.1:${p}`);
    const load = createLoadClient({ urls, apiKey: keys.ingest, ratePerSecond, seconds: maxSeconds, eventsPerRequest })((ms) => (elapsed = ms), stop.signal);
    void load.finally(() => (loadEnded = true));
    log(`load: ${ratePerSecond} requests/s of ${eventsPerRequest} events, spread over both edges`);
    const loadFor = async (seconds: number) => {
      const until = elapsed + seconds * 1000;
      while (elapsed < until) {
        if (loadEnded) throw new Error(`the load ran its ${maxSeconds} s before the workers were through joining and leaving`);
        await Bun.sleep(100);
      }
    };

    await loadFor(leadSeconds);
    const joinAt = elapsed / 1000;
    const [joiner] = (await start([worker(2)])) as [RunningApp];
    const joined = await waitForSplit(cluster.brokers, { ...group, members: 3 });
    const joinedAt = elapsed / 1000;
    log(`a third worker started at ${joinAt.toFixed(1)} s; at ${joinedAt.toFixed(1)} s ${describeView(joined)}`);
    await loadFor(leadSeconds);

    // What the killed worker had processed is read just before it dies; the survivors' counts at the end.
    const killed = await workerRecord(first, metricsPorts[0]!);
    const killAt = elapsed / 1000;
    process.kill(first.pid()!, 'SIGKILL');
    const survivors = await waitForSplit(cluster.brokers, { ...group, members: 2, timeoutMs: sessionTimeoutMs + 60_000 });
    const takenOverAt = elapsed / 1000;
    log(`worker-1 killed at ${killAt.toFixed(1)} s; at ${takenOverAt.toFixed(1)} s ${describeView(survivors)}`);
    await loadFor(leadSeconds);
    const workers = { first: killed, second: await workerRecord(second, metricsPorts[1]!), joiner: await workerRecord(joiner, metricsPorts[2]!) };

    stop.abort();
    const loadEnd = elapsed / 1000;
    const sent = await load;
    log(`load stopped at ${loadEnd.toFixed(1)} s: ${sent.accepted.size} events accepted, ${sent.resends} resends; waiting for lag 0`);
    const { drained, partitions: lag } = await waitForZeroLag(cluster.brokers, { groupId: id, topic: id });
    return {
      topic: id,
      partitions,
      views: { two, joined, survivors },
      workers,
      killed,
      at: { join: joinAt, joined: joinedAt, kill: killAt, takenOver: takenOverAt, loadEnd },
      load: sent,
      drained,
      lag,
      stores: await tallyStores(id, sent.accepted),
    };
  } finally {
    stop.abort();
    for (const apps of started.reverse()) await stopApps(apps);
    await cluster?.stop();
    await removeIsolated(id).catch(() => undefined);
  }
}

/** The worker's client id (from its pid) and the messages it has processed so far, from its /metrics. */
async function workerRecord(app: RunningApp, port: number): Promise<WorkerRecord> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
  const processed = Number(/^workers_batch_size_events_sum (\S+)$/m.exec(text)?.[1] ?? 0);
  return { name: app.name, clientId: `event-lens-workers-${app.pid()}`, processed };
}
