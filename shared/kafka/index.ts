export { createProducer, Producer, PRODUCER_DEFAULTS, type ProducerOptions } from './producer.ts';
export { createConsumer, Consumer, CONSUMER_DEFAULTS, type ConsumerOptions, type RebalanceEvent, type PartitionLag } from './consumer.ts';
export { createAdmin, Admin, type AdminOptions, type NewTopic, type Watermarks, type ClusterMetadata, type TopicMetadata, type GroupDescription, type GroupMember } from './admin.ts';
export { KafkaError, QueueFull, KafkaConfigError, isPermanentProduceError } from './errors.ts';
export { LibraryNotFoundError, resolveLibrdkafka, LIBRDKAFKA_CANDIDATES } from './library.ts';
export { DEFAULT_BROKERS, type KafkaConfig } from './conf.ts';
export { OFFSET_BEGINNING, OFFSET_END, OFFSET_INVALID, ERR as KAFKA_ERR } from './ffi.ts';
export type { OutgoingMessage, Bytes, Headers } from './vu.ts';
export type { ConsumedMessage, TimestampType } from './messages.ts';
export type { DeliveryReport, DeliveryResult, KafkaStats } from './slots.ts';
export type { TopicPartition, TopicPartitionOffset } from './native.ts';
export { mockClusterOf, type MockCluster } from './mock.ts';

import { loadRdkafka } from './ffi.ts';

/** librdkafka's version string, e.g. "2.0.2"; throws LibraryNotFoundError when it cannot be loaded. */
export function librdkafkaVersion(libraryPath?: string): string {
  return String(loadRdkafka(libraryPath).rd_kafka_version_str());
}
