import { dlopen, type Library } from 'bun:ffi';
import { LibraryNotFoundError, resolveLibrdkafka } from './library.ts';
import { tuneMalloc } from './malloc.ts';

/**
 * The whole librdkafka surface this module uses, plus its constants. Types are strings ("ptr", "buffer"): numeric
 * FFIType values were rejected for some arguments in Bun. Every function here returns promptly: nothing is called
 * with a blocking timeout on the JS thread except the bounded admin look-ups (see admin.ts).
 */
const SYMBOLS = {
  rd_kafka_version_str: { args: [], returns: 'cstring' },
  rd_kafka_err2name: { args: ['i32'], returns: 'cstring' },
  rd_kafka_err2str: { args: ['i32'], returns: 'cstring' },
  rd_kafka_last_error: { args: [], returns: 'i32' },
  rd_kafka_fatal_error: { args: ['ptr', 'ptr', 'u64'], returns: 'i32' },

  rd_kafka_error_code: { args: ['ptr'], returns: 'i32' },
  rd_kafka_error_string: { args: ['ptr'], returns: 'cstring' },
  rd_kafka_error_is_fatal: { args: ['ptr'], returns: 'i32' },
  rd_kafka_error_is_retriable: { args: ['ptr'], returns: 'i32' },
  rd_kafka_error_destroy: { args: ['ptr'], returns: 'void' },

  rd_kafka_conf_new: { args: [], returns: 'ptr' },
  rd_kafka_conf_destroy: { args: ['ptr'], returns: 'void' },
  rd_kafka_conf_set: { args: ['ptr', 'buffer', 'buffer', 'buffer', 'u64'], returns: 'i32' },
  rd_kafka_conf_set_events: { args: ['ptr', 'i32'], returns: 'void' },
  rd_kafka_new: { args: ['i32', 'ptr', 'buffer', 'u64'], returns: 'ptr' },
  rd_kafka_destroy: { args: ['ptr'], returns: 'void' },
  rd_kafka_destroy_flags: { args: ['ptr', 'i32'], returns: 'void' },
  rd_kafka_outq_len: { args: ['ptr'], returns: 'i32' },
  rd_kafka_flush: { args: ['ptr', 'i32'], returns: 'i32' },
  rd_kafka_purge: { args: ['ptr', 'i32'], returns: 'i32' },

  rd_kafka_queue_new: { args: ['ptr'], returns: 'ptr' },
  rd_kafka_queue_get_main: { args: ['ptr'], returns: 'ptr' },
  rd_kafka_queue_get_consumer: { args: ['ptr'], returns: 'ptr' },
  rd_kafka_queue_destroy: { args: ['ptr'], returns: 'void' },
  rd_kafka_queue_poll: { args: ['ptr', 'i32'], returns: 'ptr' },
  rd_kafka_queue_io_event_enable: { args: ['ptr', 'i32', 'ptr', 'u64'], returns: 'void' },

  rd_kafka_event_type: { args: ['ptr'], returns: 'i32' },
  rd_kafka_event_destroy: { args: ['ptr'], returns: 'void' },
  rd_kafka_event_message_next: { args: ['ptr'], returns: 'ptr' },
  rd_kafka_event_message_array: { args: ['ptr', 'ptr', 'u64'], returns: 'u64' },
  rd_kafka_event_error: { args: ['ptr'], returns: 'i32' },
  rd_kafka_event_error_string: { args: ['ptr'], returns: 'cstring' },
  rd_kafka_event_error_is_fatal: { args: ['ptr'], returns: 'i32' },
  rd_kafka_event_opaque: { args: ['ptr'], returns: 'ptr' },
  rd_kafka_event_stats: { args: ['ptr'], returns: 'cstring' },
  rd_kafka_event_topic_partition_list: { args: ['ptr'], returns: 'ptr' },

  rd_kafka_topic_new: { args: ['ptr', 'buffer', 'ptr'], returns: 'ptr' },
  rd_kafka_topic_destroy: { args: ['ptr'], returns: 'void' },
  rd_kafka_produceva: { args: ['ptr', 'ptr', 'u64'], returns: 'ptr' },
  rd_kafka_message_timestamp: { args: ['ptr', 'ptr'], returns: 'i64' },
  rd_kafka_message_headers: { args: ['ptr', 'ptr'], returns: 'i32' },
  rd_kafka_header_get_all: { args: ['ptr', 'u64', 'ptr', 'ptr', 'ptr'], returns: 'i32' },
  rd_kafka_headers_new: { args: ['u64'], returns: 'ptr' },
  rd_kafka_header_add: { args: ['ptr', 'ptr', 'i64', 'ptr', 'i64'], returns: 'i32' },
  rd_kafka_headers_destroy: { args: ['ptr'], returns: 'void' },
  rd_kafka_topic_name: { args: ['ptr'], returns: 'cstring' },

  rd_kafka_topic_partition_list_new: { args: ['i32'], returns: 'ptr' },
  rd_kafka_topic_partition_list_add: { args: ['ptr', 'buffer', 'i32'], returns: 'ptr' },
  rd_kafka_topic_partition_list_set_offset: { args: ['ptr', 'buffer', 'i32', 'i64'], returns: 'i32' },
  rd_kafka_topic_partition_list_destroy: { args: ['ptr'], returns: 'void' },

  rd_kafka_subscribe: { args: ['ptr', 'ptr'], returns: 'i32' },
  rd_kafka_assign: { args: ['ptr', 'ptr'], returns: 'i32' },
  rd_kafka_incremental_assign: { args: ['ptr', 'ptr'], returns: 'ptr' },
  rd_kafka_incremental_unassign: { args: ['ptr', 'ptr'], returns: 'ptr' },
  rd_kafka_rebalance_protocol: { args: ['ptr'], returns: 'cstring' },
  rd_kafka_assignment: { args: ['ptr', 'ptr'], returns: 'i32' },
  rd_kafka_commit_queue: { args: ['ptr', 'ptr', 'ptr', 'ptr', 'ptr'], returns: 'i32' },
  rd_kafka_pause_partitions: { args: ['ptr', 'ptr'], returns: 'i32' },
  rd_kafka_resume_partitions: { args: ['ptr', 'ptr'], returns: 'i32' },
  rd_kafka_seek_partitions: { args: ['ptr', 'ptr', 'i32'], returns: 'ptr' },
  rd_kafka_position: { args: ['ptr', 'ptr'], returns: 'i32' },
  rd_kafka_get_watermark_offsets: { args: ['ptr', 'buffer', 'i32', 'ptr', 'ptr'], returns: 'i32' },
  rd_kafka_query_watermark_offsets: { args: ['ptr', 'buffer', 'i32', 'ptr', 'ptr', 'i32'], returns: 'i32' },
  rd_kafka_offsets_for_times: { args: ['ptr', 'ptr', 'i32'], returns: 'i32' },
  rd_kafka_consumer_close_queue: { args: ['ptr', 'ptr'], returns: 'ptr' },
  rd_kafka_consumer_closed: { args: ['ptr'], returns: 'i32' },
  rd_kafka_metadata: { args: ['ptr', 'i32', 'ptr', 'ptr', 'i32'], returns: 'i32' },
  rd_kafka_metadata_destroy: { args: ['ptr'], returns: 'void' },

  rd_kafka_AdminOptions_new: { args: ['ptr', 'i32'], returns: 'ptr' },
  rd_kafka_AdminOptions_destroy: { args: ['ptr'], returns: 'void' },
  rd_kafka_AdminOptions_set_operation_timeout: { args: ['ptr', 'i32', 'ptr', 'u64'], returns: 'i32' },
  rd_kafka_AdminOptions_set_request_timeout: { args: ['ptr', 'i32', 'ptr', 'u64'], returns: 'i32' },
  rd_kafka_AdminOptions_set_opaque: { args: ['ptr', 'ptr'], returns: 'void' },
  rd_kafka_NewTopic_new: { args: ['buffer', 'i32', 'i32', 'buffer', 'u64'], returns: 'ptr' },
  rd_kafka_NewTopic_set_config: { args: ['ptr', 'buffer', 'buffer'], returns: 'i32' },
  rd_kafka_NewTopic_destroy: { args: ['ptr'], returns: 'void' },
  rd_kafka_CreateTopics: { args: ['ptr', 'ptr', 'u64', 'ptr', 'ptr'], returns: 'void' },
  rd_kafka_DeleteTopic_new: { args: ['buffer'], returns: 'ptr' },
  rd_kafka_DeleteTopic_destroy: { args: ['ptr'], returns: 'void' },
  rd_kafka_DeleteTopics: { args: ['ptr', 'ptr', 'u64', 'ptr', 'ptr'], returns: 'void' },
  rd_kafka_event_CreateTopics_result: { args: ['ptr'], returns: 'ptr' },
  rd_kafka_event_DeleteTopics_result: { args: ['ptr'], returns: 'ptr' },
  rd_kafka_CreateTopics_result_topics: { args: ['ptr', 'ptr'], returns: 'ptr' },
  rd_kafka_DeleteTopics_result_topics: { args: ['ptr', 'ptr'], returns: 'ptr' },
  rd_kafka_topic_result_error: { args: ['ptr'], returns: 'i32' },
  rd_kafka_topic_result_error_string: { args: ['ptr'], returns: 'cstring' },
  rd_kafka_topic_result_name: { args: ['ptr'], returns: 'cstring' },
  rd_kafka_ListConsumerGroupOffsets_new: { args: ['buffer', 'ptr'], returns: 'ptr' },
  rd_kafka_ListConsumerGroupOffsets_destroy: { args: ['ptr'], returns: 'void' },
  rd_kafka_ListConsumerGroupOffsets: { args: ['ptr', 'ptr', 'u64', 'ptr', 'ptr'], returns: 'void' },
  rd_kafka_event_ListConsumerGroupOffsets_result: { args: ['ptr'], returns: 'ptr' },
  rd_kafka_ListConsumerGroupOffsets_result_groups: { args: ['ptr', 'ptr'], returns: 'ptr' },
  rd_kafka_group_result_error: { args: ['ptr'], returns: 'ptr' },
  rd_kafka_group_result_partitions: { args: ['ptr'], returns: 'ptr' },
  rd_kafka_DescribeConsumerGroups: { args: ['ptr', 'ptr', 'u64', 'ptr', 'ptr'], returns: 'void' },
  rd_kafka_event_DescribeConsumerGroups_result: { args: ['ptr'], returns: 'ptr' },
  rd_kafka_DescribeConsumerGroups_result_groups: { args: ['ptr', 'ptr'], returns: 'ptr' },
  rd_kafka_ConsumerGroupDescription_error: { args: ['ptr'], returns: 'ptr' },
  rd_kafka_ConsumerGroupDescription_state: { args: ['ptr'], returns: 'i32' },
  rd_kafka_ConsumerGroupDescription_partition_assignor: { args: ['ptr'], returns: 'cstring' },
  rd_kafka_ConsumerGroupDescription_member_count: { args: ['ptr'], returns: 'u64' },
  rd_kafka_ConsumerGroupDescription_member: { args: ['ptr', 'u64'], returns: 'ptr' },
  rd_kafka_consumer_group_state_name: { args: ['i32'], returns: 'cstring' },
  rd_kafka_MemberDescription_client_id: { args: ['ptr'], returns: 'cstring' },
  rd_kafka_MemberDescription_consumer_id: { args: ['ptr'], returns: 'cstring' },
  rd_kafka_MemberDescription_host: { args: ['ptr'], returns: 'cstring' },
  rd_kafka_MemberDescription_assignment: { args: ['ptr'], returns: 'ptr' },
  rd_kafka_MemberAssignment_partitions: { args: ['ptr'], returns: 'ptr' },

  rd_kafka_handle_mock_cluster: { args: ['ptr'], returns: 'ptr' },
  rd_kafka_mock_broker_set_down: { args: ['ptr', 'i32'], returns: 'i32' },
  rd_kafka_mock_broker_set_up: { args: ['ptr', 'i32'], returns: 'i32' },
  rd_kafka_mock_push_request_errors_array: { args: ['ptr', 'i16', 'u64', 'ptr'], returns: 'void' },
} as const;

export type Rdkafka = Library<typeof SYMBOLS>['symbols'];

const libc = {
  pipe: { args: ['ptr'], returns: 'i32' },
  fcntl: { args: ['i32', 'i32', 'i32'], returns: 'i32' },
  close: { args: ['i32'], returns: 'i32' },
  memcpy: { args: ['ptr', 'ptr', 'u64'], returns: 'ptr' },
} as const;
export type Libc = Library<typeof libc>['symbols'];

const loaded = new Map<string, Rdkafka>();
let loadedLibc: Libc | undefined;

/** Loads (once per path) librdkafka; a wrong path or a library without these symbols throws a clear error. */
export function loadRdkafka(libraryPath?: string): Rdkafka {
  const path = resolveLibrdkafka(libraryPath);
  const cached = loaded.get(path);
  if (cached) return cached;
  tuneMalloc();
  let lib: Rdkafka;
  try {
    lib = dlopen(path, SYMBOLS).symbols;
  } catch (cause) {
    throw new LibraryNotFoundError([path], `cannot load ${path}: ${(cause as Error).message}`);
  }
  loaded.set(path, lib);
  return lib;
}

export function loadLibc(): Libc {
  loadedLibc ??= dlopen(process.platform === 'darwin' ? 'libc.dylib' : 'libc.so.6', libc).symbols;
  return loadedLibc;
}

export const RD_KAFKA_PRODUCER = 0;
export const RD_KAFKA_CONSUMER = 1;
export const CONF_UNKNOWN = -2;
export const CONF_INVALID = -1;

export const EVENT = {
  DR: 0x1,
  FETCH: 0x2,
  LOG: 0x4,
  ERROR: 0x8,
  REBALANCE: 0x10,
  OFFSET_COMMIT: 0x20,
  STATS: 0x40,
  CREATETOPICS_RESULT: 100,
  DELETETOPICS_RESULT: 101,
  LISTCONSUMERGROUPOFFSETS_RESULT: 0x8000,
} as const;

export const ERR = {
  NO_ERROR: 0,
  DESTROY: -197,
  /** RD_KAFKA_RESP_ERR__FAIL: librdkafka's generic failure; used for a delivery reported without an offset. */
  FAIL: -196,
  TRANSPORT: -195,
  MSG_TIMED_OUT: -192,
  PARTITION_EOF: -191,
  /** The partition is not in the topic's metadata (a deleted topic, as its producer first sees it). */
  UNKNOWN_PARTITION: -190,
  /** The topic is not in the cluster's metadata (and the client may not ask the broker to create it). */
  UNKNOWN_TOPIC: -188,
  ALL_BROKERS_DOWN: -187,
  INVALID_ARG: -186,
  TIMED_OUT: -185,
  QUEUE_FULL: -184,
  ASSIGN_PARTITIONS: -175,
  REVOKE_PARTITIONS: -174,
  STATE: -172,
  NO_OFFSET: -168,
  PURGE_QUEUE: -152,
  PURGE_INFLIGHT: -151,
  FATAL: -150,
  UNKNOWN_TOPIC_OR_PART: 3,
  TOPIC_ALREADY_EXISTS: 36,
} as const;

export const VTYPE = { END: 0, TOPIC: 1, RKT: 2, PARTITION: 3, VALUE: 4, KEY: 5, OPAQUE: 6, MSGFLAGS: 7, TIMESTAMP: 8, HEADER: 9, HEADERS: 10 } as const;
export const MSG_F_COPY = 0x2;
export const PARTITION_UA = -1;
export const PURGE_F_QUEUE = 0x1;
export const PURGE_F_INFLIGHT = 0x2;
export const PURGE_F_NON_BLOCKING = 0x4;
export const DESTROY_F_NO_CONSUMER_CLOSE = 0x8;
export const OFFSET_BEGINNING = -2n;
export const OFFSET_END = -1n;
export const OFFSET_INVALID = -1001n;
export const ADMIN_OP = { CREATETOPICS: 1, DELETETOPICS: 2, DESCRIBECONSUMERGROUPS: 13, LISTCONSUMERGROUPOFFSETS: 14 } as const;

/** LP64 layouts (x86_64/arm64 Linux and macOS): rd_kafka_message_t is 72 bytes, rd_kafka_vu_t 72. */
export const MSG = { err: 0, rkt: 8, partition: 16, payload: 24, len: 32, key: 40, keyLen: 48, offset: 56, opaque: 64 } as const;
export const VU_SIZE = 72;
export const TPAR = { size: 64, topic: 0, partition: 8, offset: 16, err: 48 } as const;
export const TPLIST = { cnt: 0, elems: 8 } as const;
