import type { Pointer } from 'bun:ffi';
import { ERR, type Rdkafka } from './ffi.ts';

export interface KafkaErrorInit {
  code: number;
  /** librdkafka's symbolic name, e.g. `_QUEUE_FULL`, `_MSG_TIMED_OUT`, `TOPIC_ALREADY_EXISTS`. */
  rdName: string;
  message: string;
  retriable?: boolean;
  fatal?: boolean;
}

/**
 * Codes worth retrying when librdkafka gives only a code (delivery reports, events) and not an rd_kafka_error_t
 * with its own is_retriable flag: local transport/timeouts and the broker's transient leadership/replica errors.
 */
const RETRIABLE = new Set<number>([
  ERR.TRANSPORT, ERR.MSG_TIMED_OUT, ERR.ALL_BROKERS_DOWN, ERR.TIMED_OUT, ERR.QUEUE_FULL,
  5, 6, 7, 13, 14, 15, 16, 19, 20,
]);

/**
 * Broker and local codes a produce request answers for a record that will be refused again however often it is
 * retried (Kafka protocol error codes; librdkafka reuses MSG_SIZE_TOO_LARGE for its own message.max.bytes check):
 * the record or its batch is too large or malformed, or the topic is invalid or not ours to write.
 */
const PERMANENT_PRODUCE = new Set<number>([
  ERR.INVALID_ARG,
  2, // CORRUPT_MESSAGE
  4, // INVALID_FETCH_SIZE / INVALID_MSG_SIZE
  10, // MESSAGE_TOO_LARGE (MSG_SIZE_TOO_LARGE)
  17, // INVALID_TOPIC_EXCEPTION
  18, // RECORD_LIST_TOO_LARGE
  29, // TOPIC_AUTHORIZATION_FAILED
  31, // CLUSTER_AUTHORIZATION_FAILED
  43, // UNSUPPORTED_FOR_MESSAGE_FORMAT
  87, // INVALID_RECORD
]);

/** Whether producing the same record again cannot succeed: the caller must change the record (or the topic) instead. */
export function isPermanentProduceError(error: Pick<KafkaError, 'code'>): boolean {
  return PERMANENT_PRODUCE.has(error.code);
}

export class KafkaError extends Error {
  override name = 'KafkaError';
  readonly code: number;
  readonly rdName: string;
  readonly retriable: boolean;
  readonly fatal: boolean;
  constructor(init: KafkaErrorInit) {
    super(`${init.rdName}: ${init.message}`);
    this.code = init.code;
    this.rdName = init.rdName;
    this.retriable = init.retriable ?? RETRIABLE.has(init.code);
    this.fatal = init.fatal ?? false;
  }
}

/** librdkafka's local queue (queue.buffering.max.messages / .kbytes) is full: shed load (HTTP 503) and retry later. */
export class QueueFull extends KafkaError {
  override name = 'QueueFull';
}

/** A configuration key was unknown, its value invalid, or of a type librdkafka cannot take. */
export class KafkaConfigError extends Error {
  override readonly name = 'KafkaConfigError';
  constructor(readonly key: string, readonly reason: string) {
    super(`invalid Kafka configuration "${key}": ${reason}`);
  }
}

export function errorFromCode(lib: Rdkafka, code: number, detail?: string, fatal = false): KafkaError {
  const rdName = String(lib.rd_kafka_err2name(code));
  const message = detail && detail.length > 0 ? detail : String(lib.rd_kafka_err2str(code));
  const init = { code, rdName, message, fatal };
  return code === ERR.QUEUE_FULL ? new QueueFull(init) : new KafkaError(init);
}

/** Reads and DESTROYS an rd_kafka_error_t (returned by produceva, incremental_assign, ...). */
export function takeError(lib: Rdkafka, error: Pointer): KafkaError {
  const code = lib.rd_kafka_error_code(error);
  const init = {
    code,
    rdName: String(lib.rd_kafka_err2name(code)),
    message: String(lib.rd_kafka_error_string(error)),
    retriable: lib.rd_kafka_error_is_retriable(error) !== 0,
    fatal: lib.rd_kafka_error_is_fatal(error) !== 0,
  };
  lib.rd_kafka_error_destroy(error);
  return code === ERR.QUEUE_FULL ? new QueueFull(init) : new KafkaError(init);
}
