/** A KRaft node's address: its client (PLAINTEXT) and controller listener ports. */
export interface KafkaNode {
  id: number;
  port: number;
  controllerPort: number;
}

/**
 * The nodes of a local cluster: node i (from 1) listens on `port + 2(i-1)` and `controllerPort + 2(i-1)`, so the
 * default 9092/9093 becomes 9092/9093, 9094/9095, 9096/9097 and a cluster on 19092 stays clear of the default one.
 */
export function kafkaNodes({ count = 1, port = 9092, controllerPort = 9093 }: { count?: number; port?: number; controllerPort?: number } = {}): KafkaNode[] {
  return Array.from({ length: count }, (_, i) => ({ id: i + 1, port: port + 2 * i, controllerPort: controllerPort + 2 * i }));
}

/**
 * server.properties of one combined broker+controller node. With three or more voters every topic the brokers create
 * (the auto-created `events` and `events.dlq` included) gets three replicas and needs two in sync to take a write:
 * with the producers' acks=all, an acknowledged event is on at least two brokers, so one can die without losing it.
 */
export function serverProperties({ node, voters, data }: { node: KafkaNode; voters: readonly KafkaNode[]; data: string }): string {
  const replicas = Math.min(3, voters.length);
  const minIsr = replicas >= 3 ? 2 : 1;
  const quorum = voters.map((v) => `${v.id}@127.0.0.1:${v.controllerPort}`).join(',');
  return `# Written by infra/kafka on every start; edit infra/kafka/properties.ts instead.
process.roles=broker,controller
node.id=${node.id}
controller.quorum.voters=${quorum}
listeners=PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${node.port}
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=${data}
num.partitions=6
auto.create.topics.enable=true
offsets.topic.replication.factor=${replicas}
offsets.topic.num.partitions=12
transaction.state.log.replication.factor=${replicas}
transaction.state.log.min.isr=${minIsr}
share.coordinator.state.topic.replication.factor=${replicas}
share.coordinator.state.topic.min.isr=${minIsr}
min.insync.replicas=${minIsr}
default.replication.factor=${replicas}
# Tests and the demo create and join groups often; waiting 3 s for more members only slows them down.
group.initial.rebalance.delay.ms=0
log.retention.hours=168
log.segment.bytes=268435456
# The edge accepts events up to 1 MiB (EDGE_MAX_EVENT_BYTES) plus its stamp; the broker's default (~1 MB) is smaller.
message.max.bytes=2097152
`;
}

export const LOG4J = `status = warn
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
