import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createIsolatedKeys, isolatedEnv, isolationId, removeIsolated } from '../isolation.ts';
import { startApps, stopApps, type RunningApp } from '../platform.ts';
import { freePort } from '../../shared/testing/ports.ts';
import { ROOT, status, type ServiceState } from '../stack.ts';
import { secondsUntilCaughtUp } from './catch-up.ts';
import { waitForZeroLag } from './group-probe.ts';
import { busiestPartition, startLocalCluster, type LocalCluster } from './cluster.ts';
import { createLoadClient, percentile, type LoadResult } from './load.ts';
import { tallyStores, type StoreTally } from './stores.ts';

/**
 * The failover scenario shared by infra/cluster/failover.test.ts and bench/failover: an edge and a worker (real
 * processes, the run's own topic, group, index, schema, keys and Redis prefix) on a three-node cluster, steady load
 * with resends, kill -9 of the leader of the busiest partition, its restart, then a tally of every store by event id.
 */
export interface FailoverOptions {
  ratePerSecond?: number;
  seconds?: number;
  eventsPerRequest?: number;
  /** When, into the load, the leader is killed and when it is started again. */
  killAtSeconds?: number;
  restartAtSeconds?: number;
  partitions?: number;
  log?: (line: string) => void;
}

export interface FailoverResult {
  topic: string;
  /** `stack status` of the cluster's nodes once they were up. */
  brokers: ServiceState[];
  /** Kafka's topic command `--describe` output for the run's topic, read before the load. */
  topicDescription: string;
  killed: { node: number; partition: number };
  load: LoadResult;
  /** p99 request latency (ms) of requests sent before the kill, and of those sent while the node was down. */
  p99BeforeMs: number;
  p99FailoverMs: number;
  /** Requests sent while the node was down, and how many of them were not a 2xx. */
  failoverRequests: number;
  failoverNon2xx: number;
  /** Seconds from the kill until the workers caught up (catch-up.ts); undefined if they did not within the bound. */
  secondsUntilLagZero: number | undefined;
  /** Whether the group's lag read 0 after the load ended (within the bound). */
  drained: boolean;
  stores: { elasticsearch: StoreTally; postgres: StoreTally; redis: StoreTally };
}

export async function runFailover({
  ratePerSecond = 60,
  seconds = 40,
  eventsPerRequest = 4,
  killAtSeconds = 12,
  restartAtSeconds = 27,
  partitions = 6,
  log = () => {},
}: FailoverOptions = {}): Promise<FailoverResult> {
  const id = isolationId('failover');
  const home = join(ROOT, '.stack', 'cluster');
  mkdirSync(home, { recursive: true });
  let cluster: LocalCluster | undefined;
  let apps: RunningApp[] = [];
  try {
    log('starting a three-node Kafka cluster');
    cluster = await startLocalCluster({ home, log });
    const { withAdmin } = cluster;
    const brokers = (await status(cluster.stack)).filter((s) => s.name.startsWith('kafka'));
    // Replication factor and min.insync.replicas left to the brokers (-1), as for the topics they auto-create.
    await withAdmin((admin) => admin.createTopics([{ name: id, partitions, replicationFactor: -1 }, { name: `${id}.dlq`, partitions: 1, replicationFactor: -1 }]));
    const topicDescription = await cluster.describe(id);
    const keys = await createIsolatedKeys(id);
    const ports = { edge: freePort(), workers: freePort(), query: freePort() };
    const env = { ...isolatedEnv(id, ports), KAFKA_BROKERS: cluster.brokers, EDGE_PROCESSES: '1', WORKERS_COUNT: '1' };
    apps = await startApps(ROOT, home, [
      { name: 'edge', entry: 'edge/server.ts', readyUrl: `http://127.0.0.1:${ports.edge}/readyz`, env: { ...env, EDGE_HOSTNAME: '127.0.0.1' } },
      { name: 'workers', entry: 'workers/main.ts', readyUrl: `http://127.0.0.1:${ports.workers}/healthz`, env },
    ], log);

    let killedAt: number | undefined;
    let restartedAt: number | undefined;
    let killed = { node: -1, partition: -1 };
    let restart: Promise<void> | undefined;
    let catchUp: Promise<number | undefined> | undefined;
    let killing = false;
    const onTick = (elapsedMs: number) => {
      if (!killing && elapsedMs >= killAtSeconds * 1000) {
        killing = true;
        // The admin client that found the leader is closed before the kill (LocalCluster.openAdmin says why).
        void withAdmin((admin) => busiestPartition(admin, id)).then(({ partition, leader }) => {
          killed = { node: leader, partition };
          cluster!.kill(leader);
          killedAt = performance.now();
          log(`killed node ${leader}, leader of partition ${partition} (the busiest)`);
          catchUp = secondsUntilCaughtUp({ brokers: cluster!.brokers, topic: id, groupId: id, partitions, lostNode: leader, since: killedAt });
        });
      }
      if (killedAt !== undefined && !restart && elapsedMs >= restartAtSeconds * 1000) {
        restartedAt = performance.now();
        restart = cluster!.restart(killed.node).then(() => log(`node ${killed.node} is back`));
      }
    };
    log(`load: ${ratePerSecond} requests/s of ${eventsPerRequest} events for ${seconds}s`);
    const load = await createLoadClient({ urls: [`http://127.0.0.1:${ports.edge}`], apiKey: keys.ingest, ratePerSecond, seconds, eventsPerRequest })(onTick);
    if (killedAt === undefined) throw new Error('the load ended before the leader was killed');
    await restart;
    const secondsUntilLagZero = await catchUp;
    const { drained } = await waitForZeroLag(cluster.brokers, { groupId: id, topic: id });
    const windowEnd = restartedAt ?? Number.POSITIVE_INFINITY;
    const before = load.requests.filter((r) => r.at < killedAt!);
    const during = load.requests.filter((r) => r.at >= killedAt! && r.at < windowEnd);
    const stores = await tallyStores(id, load.accepted);
    return {
      topic: id,
      brokers,
      topicDescription,
      killed,
      load,
      p99BeforeMs: percentile(before.map((r) => r.ms), 99),
      p99FailoverMs: percentile(during.map((r) => r.ms), 99),
      failoverRequests: during.length,
      failoverNon2xx: during.filter((r) => r.status < 200 || r.status > 299).length,
      secondsUntilLagZero,
      drained,
      stores,
    };
  } finally {
    await stopApps(apps);
    await cluster?.stop();
    await removeIsolated(id).catch(() => undefined);
  }
}
