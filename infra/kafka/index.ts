import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { logFile, readPid } from '../process.ts';
import { listening, run, type ManagedService, type StackContext } from '../service.ts';

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

export function kafkaService({ port = 9092, controllerPort = 9093, heapMb = 1024 }: KafkaServiceOptions = {}): ManagedService {
  return {
    name: 'kafka',
    ports: [port, controllerPort],
    readyTimeoutMs: 60_000,
    async install(ctx) {
      await installKafkaJars(ctx);
    },
    async prepare(ctx) {
      const dir = join(ctx.home, 'kafka');
      const data = join(dir, 'data');
      mkdirSync(data, { recursive: true });
      const props = join(dir, 'server.properties');
      writeFileSync(props, serverProperties({ port, controllerPort, data }));
      writeFileSync(join(dir, 'log4j2.properties'), LOG4J);
      const cp = kafkaClassPath(ctx.home);
      if (!existsSync(join(data, 'meta.properties'))) {
        ctx.log('formatting Kafka storage (KRaft, single node)');
        const id = (await run(['java', '-cp', cp, 'kafka.tools.StorageTool', 'random-uuid'])).trim();
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
      if (!(await listening(port))) return false;
      // The listener accepts connections before the broker can serve metadata; the log line marks the real moment.
      // A broker the stack did not start (no pid file) is taken as ready once it listens.
      if (readPid(ctx.home, 'kafka') === undefined) return true;
      const log = logFile(ctx.home, 'kafka');
      return existsSync(log) && readFileSync(log, 'utf8').includes('Kafka Server started');
    },
  };
}

function serverProperties({ port, controllerPort, data }: { port: number; controllerPort: number; data: string }): string {
  return `# Written by infra/kafka on every start; edit infra/kafka/index.ts instead.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${controllerPort}
listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${port}
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=${data}
num.partitions=6
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=12
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
min.insync.replicas=1
default.replication.factor=1
# Tests and the demo create and join groups often; waiting 3 s for more members only slows them down.
group.initial.rebalance.delay.ms=0
log.retention.hours=168
log.segment.bytes=268435456
# The edge accepts events up to 1 MiB (EDGE_MAX_EVENT_BYTES) plus its stamp; the broker's default (~1 MB) is smaller.
message.max.bytes=2097152
`;
}

const LOG4J = `status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.kafka.name = kafka
logger.kafka.level = WARN
logger.server.name = kafka.server.KafkaRaftServer
logger.server.level = INFO
logger.state.name = state.change.logger
logger.state.level = WARN
logger.controller.name = org.apache.kafka.controller
logger.controller.level = WARN
logger.raft.name = org.apache.kafka.raft
logger.raft.level = WARN
`;
