import * as v from 'valibot';
import { defineConfig, port, setting } from '../shared/config/index.ts';

/**
 * The local stack's own settings. The client-facing ports come from the connection URLs (KAFKA_BROKERS,
 * ELASTICSEARCH_URL, DATABASE_URL, REDIS_URL): a URL on this machine is started by the stack on that port, any other
 * URL is treated as an existing server and left alone.
 */
export const stackConfig = defineConfig('stack', 'STACK', {
  home: setting(v.string(), '.stack', 'Folder (relative to the repo root, or absolute) for data, logs, jars and pid files.'),
  kafkaControllerPort: setting(port, 9093, 'Kafka KRaft controller listener port (of the first node; node i adds 2(i-1), as its client port does).'),
  kafkaBrokers: setting(
    v.pipe(v.number(), v.integer(), v.check((n) => n === 1 || n === 3, 'expected 1 or 3')),
    1,
    'How many Kafka nodes the stack runs: 1, or 3 combined broker+controller nodes in one quorum (services kafka-1..3, client ports from the KAFKA_BROKERS port up in steps of 2) whose topics get 3 replicas and need 2 in sync to take a write.',
  ),
  kafkaHeapMb: setting(v.pipe(v.number(), v.integer(), v.minValue(256)), 1024, 'Kafka JVM heap in MiB.'),
  elasticsearchTransportPort: setting(port, 9300, 'Elasticsearch transport port.'),
  elasticsearchHeapMb: setting(v.pipe(v.number(), v.integer(), v.minValue(256)), 1024, 'Elasticsearch JVM heap in MiB.'),
  readyTimeoutMs: setting(v.pipe(v.number(), v.integer(), v.minValue(1000)), 120000, 'How long `stack up` waits for each server to become ready.'),
});

export type StackConfig = v.InferOutput<typeof stackConfig.schema>;
