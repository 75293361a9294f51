import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { logFile, readPid } from '../process.ts';
import { listening, run, type ManagedService, type StackContext } from '../service.ts';
import { kafkaNodes, LOG4J, serverProperties, type KafkaNode } from './properties.ts';

export { kafkaNodes, type KafkaNode } from './properties.ts';

export interface KafkaServiceOptions {
  port?: number;
  controllerPort?: number;
  heapMb?: number;
}

const POM = join(import.meta.dir, 'pom.xml');

/** Installs the jars from Maven Central once; a stamp of the pom's content makes re-runs a no-op. */
export async function installKafkaJars(ctx: StackContext): Promise<string> {
  const lib = join(ctx.home, 'kafka', 'lib');
  const stamp = join(lib, '.pom-stamp');
  const pom = readFileSync(POM, 'utf8');
  const hash = Bun.hash(pom).toString(16);
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return lib;
  ctx.log('resolving Kafka jars from Maven Central (about 55 MB the first time)');
  await run(['mvn', '-q', '-B', '-f', POM, 'dependency:copy-dependencies', `-DoutputDirectory=${lib}`, '-DincludeScope=runtime']);
  writeFileSync(stamp, hash);
  return lib;
}

/** The class path for Kafka's own tools (perf tests, topic command), for bench/ and tests. */
export function kafkaClassPath(home: string): string {
  return `${join(home, 'kafka', 'lib')}/*`;
}

/** The single node the stack runs by default: service `kafka`, its files under `<home>/kafka`. */
export function kafkaService({ port = 9092, controllerPort = 9093, heapMb = 1024 }: KafkaServiceOptions = {}): ManagedService {
  const node = { id: 1, port, controllerPort };
  return kafkaNodeService({ name: 'kafka', node, voters: [node], heapMb, dir: (home) => join(home, 'kafka') });
}

/**
 * `count` combined broker+controller nodes forming one quorum, services `kafka-1` … `kafka-<count>` (one group, so
 * the stack starts and stops them together), each with its own ports, data, properties and log; one cluster id.
 */
export function kafkaClusterServices({ count, port = 9092, controllerPort = 9093, heapMb = 1024 }: KafkaServiceOptions & { count: number }): ManagedService[] {
  const voters = kafkaNodes({ count, port, controllerPort });
  return voters.map((node) =>
    kafkaNodeService({ name: `kafka-${node.id}`, group: 'kafka', node, voters, heapMb, dir: (home) => join(clusterDir(home), String(node.id)) }),
  );
}

const clusterDir = (home: string) => join(home, 'kafka', 'nodes');

/** The cluster id every node of one stack home is formatted with, made once (Kafka's random-uuid) and kept. */
async function clusterId(home: string, voters: number): Promise<string> {
  const file = voters > 1 ? join(clusterDir(home), 'cluster-id') : undefined;
  if (file && existsSync(file)) return readFileSync(file, 'utf8').trim();
  const id = (await run(['java', '-cp', kafkaClassPath(home), 'kafka.tools.StorageTool', 'random-uuid'])).trim();
  if (file) writeFileSync(file, id);
  return id;
}

interface NodeServiceOptions {
  name: string;
  group?: string;
  node: KafkaNode;
  voters: readonly KafkaNode[];
  heapMb: number;
  dir: (home: string) => string;
}

function kafkaNodeService({ name, group, node, voters, heapMb, dir: dirOf }: NodeServiceOptions): ManagedService {
  return {
    name,
    group,
    ports: [node.port, node.controllerPort],
    readyTimeoutMs: 60_000,
    async install(ctx) {
      await installKafkaJars(ctx);
    },
    async prepare(ctx) {
      const dir = dirOf(ctx.home);
      const data = join(dir, 'data');
      mkdirSync(data, { recursive: true });
      const props = join(dir, 'server.properties');
      writeFileSync(props, serverProperties({ node, voters, data }));
      writeFileSync(join(dir, 'log4j2.properties'), LOG4J);
      const cp = kafkaClassPath(ctx.home);
      if (!existsSync(join(data, 'meta.properties'))) {
        ctx.log(voters.length > 1 ? `formatting Kafka storage of node ${node.id} (KRaft, ${voters.length} voters)` : 'formatting Kafka storage (KRaft, single node)');
        const id = await clusterId(ctx.home, voters.length);
        // Static quorum (controller.quorum.voters): format WITHOUT --standalone, which is for dynamic quorums.
        await run(['java', '-cp', cp, 'kafka.tools.StorageTool', 'format', '-t', id, '-c', props, '--ignore-formatted']);
      }
      return {
        cmd: [
          'java',
          `-Xms${Math.min(heapMb, 512)}m`,
          `-Xmx${heapMb}m`,
          '-XX:+UseG1GC',
          `-Dlog4j2.configurationFile=${join(dir, 'log4j2.properties')}`,
          '-cp',
          cp,
          'kafka.Kafka',
          props,
        ],
      };
    },
    async ready(ctx) {
      if (!(await listening(node.port))) return false;
      // The listener accepts connections before the broker can serve metadata; the log line marks the real moment.
      // A broker the stack did not start (no pid file) is taken as ready once it listens.
      if (readPid(ctx.home, name) === undefined) return true;
      const log = logFile(ctx.home, name);
      return existsSync(log) && readFileSync(log, 'utf8').includes('Kafka Server started');
    },
  };
}
