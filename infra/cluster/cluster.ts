import { rmSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { createAdmin, type Admin } from '../../shared/kafka/index.ts';
import { kafkaClassPath, kafkaNodes } from '../kafka/index.ts';
import { readPid } from '../process.ts';
import { listening, run } from '../service.ts';
import { createStack, down, ROOT, up, type Stack } from '../stack.ts';

/**
 * A three-node Kafka cluster of its own (own stack home and ports, clear of the default single broker on 9092), for
 * the failover test and bench: started and stopped by whoever runs the scenario, nodes killed and restarted by id.
 */
export interface LocalCluster {
  readonly stack: Stack;
  /** Every node's address, for KAFKA_BROKERS. */
  readonly brokers: string;
  /**
   * A new admin client on the cluster, which the caller closes. None outlives its step: librdkafka's main thread can
   * dereference NULL when a broker it is connected to dies (confluentinc/librdkafka#5315, open in 2.8.0; Debian ships
   * 2.0.2), and a client held through kill() took the test runner down with SIGSEGV within a second of the kill.
   * Short-lived clients opened while the node was down did too, seconds later: what runs then (the catch-up samples)
   * runs in processes of its own.
   */
  openAdmin(): Admin;
  /** `work` with an admin client of its own, closed when it settles. */
  withAdmin<T>(work: (admin: Admin) => Promise<T>): Promise<T>;
  /** kill -9 of node `id`'s JVM: no controlled shutdown, no leadership handed over. */
  kill(id: number): void;
  /** Starts node `id` again and waits until it serves. */
  restart(id: number): Promise<void>;
  /** Output of Kafka's topic command `--describe` for `topic` (partitions, replicas, ISR and topic configs). */
  describe(topic: string): Promise<string>;
  /** Stops every node. */
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** Stack home, relative to the repository root or absolute. */
  home?: string;
  /** Client port of node 1; node i listens on port + 2(i-1), its controller on port + 1 + 2(i-1). */
  port?: number;
  heapMb?: number;
  /**
   * Start from empty nodes and delete their data (topics, offsets, the cluster id) again on stop(), keeping only the
   * jars: a run leaves nothing behind that the next one could trip over.
   */
  fresh?: boolean;
  log?: (line: string) => void;
}

export async function startLocalCluster({ home = '.stack/cluster', port = 29092, heapMb = 512, fresh = false, log = () => {} }: ClusterOptions = {}): Promise<LocalCluster> {
  const stackHome = isAbsolute(home) ? home : join(ROOT, home);
  const nodesDir = join(stackHome, 'kafka', 'nodes');
  if (fresh) {
    // The stack takes a broker already listening on a node's port for that node, and its data would be deleted under
    // it: a fresh cluster needs every port free.
    const ports = kafkaNodes({ count: 3, port, controllerPort: port + 1 }).flatMap((n) => [n.port, n.controllerPort]);
    const taken = (await Promise.all(ports.map(async (p) => ((await listening(p)) ? [p] : [])))).flat();
    if (taken.length) throw new Error(`ports ${taken.join(', ')} are taken (another cluster run?); the cluster needs ${ports[0]}-${ports.at(-1)}`);
    rmSync(nodesDir, { recursive: true, force: true });
  }
  const env = {
    ...process.env,
    STACK_HOME: stackHome,
    STACK_KAFKA_BROKERS: '3',
    STACK_KAFKA_HEAP_MB: String(heapMb),
    STACK_KAFKA_CONTROLLER_PORT: String(port + 1),
    KAFKA_BROKERS: `127.0.0.1:${port}`,
  };
  const stack = createStack(env, log);
  try {
    await up(stack, ['kafka']);
  } catch (error) {
    // Nodes that did start would otherwise outlive the run that failed to start the others.
    await down(stack, ['kafka']).catch(() => undefined);
    if (fresh) rmSync(nodesDir, { recursive: true, force: true });
    throw error;
  }
  const name = (id: number) => `kafka-${id}`;
  const openAdmin = () => createAdmin({ brokers: stack.kafkaBrokers, timeoutMs: 15_000 });
  return {
    stack,
    brokers: stack.kafkaBrokers,
    openAdmin,
    async withAdmin(work) {
      const admin = openAdmin();
      try {
        return await work(admin);
      } finally {
        await admin.close();
      }
    },
    kill(id) {
      const pid = readPid(stack.ctx.home, name(id));
      if (pid === undefined) throw new Error(`${name(id)} is not running`);
      process.kill(pid, 'SIGKILL');
    },
    async restart(id) {
      await up(stack, [name(id)]);
    },
    describe: (topic) =>
      run(['java', '-cp', kafkaClassPath(stack.ctx.home), 'org.apache.kafka.tools.TopicCommand', '--bootstrap-server', stack.kafkaBrokers, '--describe', '--topic', topic]),
    async stop() {
      try {
        await down(stack, ['kafka']);
      } finally {
        if (fresh) rmSync(nodesDir, { recursive: true, force: true });
      }
    },
  };
}

/** The topic's partition holding the most records and the node leading it (by high watermark, from the leaders). */
export async function busiestPartition(admin: Admin, topic: string): Promise<{ partition: number; leader: number; records: bigint }> {
  const md = await admin.metadata({ timeoutMs: 5000 });
  const t = md.topics.find((x) => x.name === topic);
  if (!t) throw new Error(`topic ${topic} not found`);
  let best = { partition: -1, leader: -1, records: -1n };
  for (const p of t.partitions) {
    const { low, high } = await admin.watermarks(topic, p.id, { timeoutMs: 5000 });
    if (high - low > best.records) best = { partition: p.id, leader: p.leader, records: high - low };
  }
  return best;
}
