import * as v from 'valibot';
import { defineConfig, port, setting } from '../shared/config/index.ts';

/**
 * The local stack's own settings. The client-facing ports come from the connection URLs (KAFKA_BROKERS,
 * ELASTICSEARCH_URL, DATABASE_URL, REDIS_URL): a URL on this machine is started by the stack on that port, any other
 * URL is treated as an existing server and left alone.
 */
export const stackConfig = defineConfig('stack', 'STACK', {
  home: setting(v.string(), '.stack', 'Folder (relative to the repo root, or absolute) for data, logs, jars and pid files.'),
  kafkaControllerPort: setting(port, 9093, 'Kafka KRaft controller listener port.'),
  kafkaHeapMb: setting(v.pipe(v.number(), v.integer(), v.minValue(256)), 1024, 'Kafka JVM heap in MiB.'),
  elasticsearchTransportPort: setting(port, 9300, 'Elasticsearch transport port.'),
  elasticsearchHeapMb: setting(v.pipe(v.number(), v.integer(), v.minValue(256)), 1024, 'Elasticsearch JVM heap in MiB.'),
  readyTimeoutMs: setting(v.pipe(v.number(), v.integer(), v.minValue(1000)), 120000, 'How long `stack up` waits for each server to become ready.'),
});

export type StackConfig = v.InferOutput<typeof stackConfig.schema>;
