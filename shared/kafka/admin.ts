import { ptr, read, type Pointer } from 'bun:ffi';
import { buildConf, createHandle, DEFAULT_BROKERS, type KafkaConfig } from './conf.ts';
import { errorFromCode, KafkaConfigError, KafkaError } from './errors.ts';
import { ADMIN_OP, ERR, EVENT, loadRdkafka, RD_KAFKA_PRODUCER, type Rdkafka } from './ffi.ts';
import { asPtr, cstr, fromTpList, mustPtr, readCString, toTpList, withTpList, type TopicPartition, type TopicPartitionOffset } from './native.ts';
import { readGroupDescription, type GroupDescription } from './groups.ts';
import { EventPump } from './pump.ts';
import { readMetadata, type ClusterMetadata } from './metadata.ts';

export type { ClusterMetadata, TopicMetadata } from './metadata.ts';
export type { GroupDescription, GroupMember } from './groups.ts';

export interface AdminOptions {
  brokers?: string;
  config?: KafkaConfig;
  /** Per admin request (CreateTopics waits this long for the controller to finish). */
  timeoutMs?: number;
  libraryPath?: string;
}

export interface NewTopic {
  name: string;
  partitions?: number;
  replicationFactor?: number;
  /** Topic configs, e.g. { 'retention.ms': '3600000' }. */
  config?: Record<string, string>;
}

export interface Watermarks {
  low: bigint;
  high: bigint;
}

const ERRSTR = 512;

/**
 * Topic and group administration for tests, bench and readiness checks. Create/delete/committed use librdkafka's
 * asynchronous Admin API (results come back as events); metadata() and watermarks() use librdkafka's blocking calls
 * with a bounded timeout, so keep them off hot paths.
 */
export class Admin {
  readonly #lib: Rdkafka;
  readonly #rk: Pointer;
  readonly #queue: Pointer;
  readonly #pump: EventPump;
  readonly #timeoutMs: number;
  readonly #requests = new Map<number, { done: (ev: Pointer) => void; reject: (e: KafkaError) => void }>();
  #seq = 0;
  #closed = false;

  constructor({ brokers = DEFAULT_BROKERS, config = {}, timeoutMs = 30_000, libraryPath }: AdminOptions = {}) {
    const lib = (this.#lib = loadRdkafka(libraryPath));
    this.#timeoutMs = timeoutMs;
    const conf = buildConf(lib, { 'bootstrap.servers': brokers, ...config }, EVENT.ERROR);
    this.#rk = createHandle(lib, RD_KAFKA_PRODUCER, conf);
    this.#queue = mustPtr(lib.rd_kafka_queue_new(this.#rk), 'rd_kafka_queue_new');
    this.#pump = new EventPump({ lib, queue: this.#queue, handle: (ev) => this.#onEvent(ev) });
  }

  #onEvent(ev: Pointer): boolean {
    const id = Number(asPtr(this.#lib.rd_kafka_event_opaque(ev)) ?? 0);
    const done = this.#requests.get(id)?.done;
    this.#requests.delete(id);
    try {
      done?.(ev);
    } finally {
      this.#lib.rd_kafka_event_destroy(ev);
    }
    return true;
  }

  /** Sends one Admin API request and resolves with what `read` extracts from its result event. */
  #request<T>(op: number, send: (options: Pointer) => void, read: (ev: Pointer) => T): Promise<T> {
    if (this.#closed) return Promise.reject(errorFromCode(this.#lib, ERR.DESTROY, 'admin client is closed'));
    const lib = this.#lib;
    const options = mustPtr(lib.rd_kafka_AdminOptions_new(this.#rk, op), 'rd_kafka_AdminOptions_new');
    const id = ++this.#seq;
    const errstr = new Uint8Array(ERRSTR);
    lib.rd_kafka_AdminOptions_set_request_timeout(options, this.#timeoutMs, errstr, ERRSTR);
    // Only topic operations wait for the controller; the group requests answer from the coordinator alone.
    if (op === ADMIN_OP.CREATETOPICS || op === ADMIN_OP.DELETETOPICS) lib.rd_kafka_AdminOptions_set_operation_timeout(options, this.#timeoutMs, errstr, ERRSTR);
    lib.rd_kafka_AdminOptions_set_opaque(options, id as Pointer);
    const { promise, resolve, reject } = Promise.withResolvers<T>();
    this.#requests.set(id, { reject, done: (ev) => {
      const code = lib.rd_kafka_event_error(ev);
      if (code !== 0) return reject(errorFromCode(lib, code, String(lib.rd_kafka_event_error_string(ev))));
      try {
        resolve(read(ev));
      } catch (e) {
        reject(e);
      }
    } });
    try {
      send(options);
    } finally {
      lib.rd_kafka_AdminOptions_destroy(options);
    }
    return promise;
  }

  async createTopics(topics: readonly NewTopic[], { ifNotExists = true }: { ifNotExists?: boolean } = {}): Promise<void> {
    const lib = this.#lib;
    const errstr = new Uint8Array(ERRSTR);
    const handles = topics.map(({ name, partitions = 1, replicationFactor = 1, config = {} }) => {
      const t = asPtr(lib.rd_kafka_NewTopic_new(cstr(name), partitions, replicationFactor, errstr, ERRSTR));
      if (!t) throw new KafkaConfigError(name, readCString(ptr(errstr)));
      for (const [k, v] of Object.entries(config)) {
        if (lib.rd_kafka_NewTopic_set_config(t, cstr(k), cstr(v)) !== 0) throw new KafkaConfigError(k, `invalid topic config for ${name}`);
      }
      return t;
    });
    const arr = new BigUint64Array(handles.map((h) => BigInt(h)));
    try {
      await this.#request(
        ADMIN_OP.CREATETOPICS,
        (o) => lib.rd_kafka_CreateTopics(this.#rk, ptr(arr), handles.length, o, this.#queue),
        (ev) => this.#topicResults(lib.rd_kafka_event_CreateTopics_result(ev), 'create', ifNotExists ? ERR.TOPIC_ALREADY_EXISTS : 0),
      );
    } finally {
      for (const h of handles) lib.rd_kafka_NewTopic_destroy(h);
    }
  }

  async deleteTopics(names: readonly string[], { ifExists = true }: { ifExists?: boolean } = {}): Promise<void> {
    const lib = this.#lib;
    const handles = names.map((n) => mustPtr(lib.rd_kafka_DeleteTopic_new(cstr(n)), 'rd_kafka_DeleteTopic_new'));
    const arr = new BigUint64Array(handles.map((h) => BigInt(h)));
    try {
      await this.#request(
        ADMIN_OP.DELETETOPICS,
        (o) => lib.rd_kafka_DeleteTopics(this.#rk, ptr(arr), handles.length, o, this.#queue),
        (ev) => this.#topicResults(lib.rd_kafka_event_DeleteTopics_result(ev), 'delete', ifExists ? ERR.UNKNOWN_TOPIC_OR_PART : 0),
      );
    } finally {
      for (const h of handles) lib.rd_kafka_DeleteTopic_destroy(h);
    }
  }

  #topicResults(result: Pointer | bigint | null, what: string, ignored: number): void {
    const lib = this.#lib;
    const cnt = new BigUint64Array(1);
    const arr = asPtr(what === 'create'
      ? lib.rd_kafka_CreateTopics_result_topics(result, ptr(cnt))
      : lib.rd_kafka_DeleteTopics_result_topics(result, ptr(cnt)));
    for (let i = 0; arr && i < Number(cnt[0]); i++) {
      const t = read.ptr(arr, i * 8) as Pointer;
      const code = lib.rd_kafka_topic_result_error(t);
      if (code === 0 || code === ignored) continue;
      throw errorFromCode(lib, code, `${what} topic ${String(lib.rd_kafka_topic_result_name(t))}: ${String(lib.rd_kafka_topic_result_error_string(t))}`);
    }
  }

  /** Committed offsets of a group (all its partitions unless given); -1001 (OFFSET_INVALID) means none. */
  committed(groupId: string, partitions?: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    const lib = this.#lib;
    const list = partitions ? toTpList(lib, partitions) : null;
    const req = mustPtr(lib.rd_kafka_ListConsumerGroupOffsets_new(cstr(groupId), list), 'ListConsumerGroupOffsets_new');
    if (list) lib.rd_kafka_topic_partition_list_destroy(list);
    const arr = new BigUint64Array([BigInt(req)]);
    try {
      return this.#request(
        ADMIN_OP.LISTCONSUMERGROUPOFFSETS,
        (o) => lib.rd_kafka_ListConsumerGroupOffsets(this.#rk, ptr(arr), 1, o, this.#queue),
        (ev) => {
          const cnt = new BigUint64Array(1);
          const groups = asPtr(lib.rd_kafka_ListConsumerGroupOffsets_result_groups(lib.rd_kafka_event_ListConsumerGroupOffsets_result(ev), ptr(cnt)));
          if (!groups || cnt[0] === 0n) return [];
          const g = read.ptr(groups, 0) as Pointer;
          const err = asPtr(lib.rd_kafka_group_result_error(g));
          if (err) throw errorFromCode(lib, lib.rd_kafka_error_code(err), String(lib.rd_kafka_error_string(err)));
          return fromTpList(asPtr(lib.rd_kafka_group_result_partitions(g))).map(({ topic, partition, offset }) => ({ topic, partition, offset }));
        },
      );
    } finally {
      lib.rd_kafka_ListConsumerGroupOffsets_destroy(req);
    }
  }

  /**
   * The group's state, members and each member's assignment as its coordinator holds them (DescribeConsumerGroups):
   * the group's own view, not what any one member believes it owns. A group nobody joined is `Dead` with no members.
   */
  describeGroup(groupId: string): Promise<GroupDescription> {
    const lib = this.#lib;
    const id = cstr(groupId);
    const arr = new BigUint64Array([BigInt(ptr(id))]);
    return this.#request(
      ADMIN_OP.DESCRIBECONSUMERGROUPS,
      (o) => lib.rd_kafka_DescribeConsumerGroups(this.#rk, ptr(arr), 1, o, this.#queue),
      (ev) => readGroupDescription(lib, groupId, ev),
    );
  }

  /** Bounded blocking call (rd_kafka_metadata): fine for startup/readiness, not for request paths. */
  async metadata({ timeoutMs = 5000 }: { timeoutMs?: number } = {}): Promise<ClusterMetadata> {
    const out = new BigUint64Array(1);
    const err = this.#lib.rd_kafka_metadata(this.#rk, 1, null, ptr(out), timeoutMs);
    if (err !== 0) throw errorFromCode(this.#lib, err, 'metadata');
    const md = mustPtr(asPtr(out[0]!), 'rd_kafka_metadata');
    try {
      return readMetadata(md);
    } finally {
      this.#lib.rd_kafka_metadata_destroy(md);
    }
  }

  async listTopics(): Promise<string[]> {
    return (await this.metadata()).topics.map((t) => t.name).filter((n) => !n.startsWith('__'));
  }

  /** Bounded blocking call (rd_kafka_query_watermark_offsets) asking the partition leader. */
  async watermarks(topic: string, partition: number, { timeoutMs = 5000 }: { timeoutMs?: number } = {}): Promise<Watermarks> {
    const lohi = new BigInt64Array(2);
    const err = this.#lib.rd_kafka_query_watermark_offsets(this.#rk, cstr(topic), partition, ptr(lohi), ptr(lohi, 8), timeoutMs);
    if (err !== 0) throw errorFromCode(this.#lib, err, `watermarks ${topic}[${partition}]`);
    return { low: lohi[0]!, high: lohi[1]! };
  }

  /**
   * For each partition, the earliest offset whose record timestamp is at or after `timestamp` (epoch ms), by the
   * broker's time index (rd_kafka_offsets_for_times, a bounded blocking call). A partition with no such record gets
   * OFFSET_END (-1): read up to its high watermark instead.
   */
  async offsetsForTimes(
    topic: string,
    times: ReadonlyArray<{ partition: number; timestamp: number }>,
    { timeoutMs = 5000 }: { timeoutMs?: number } = {},
  ): Promise<Array<{ partition: number; offset: bigint }>> {
    if (times.length === 0) return [];
    const lib = this.#lib;
    return withTpList(lib, times.map(({ partition, timestamp }) => ({ topic, partition, offset: BigInt(Math.floor(timestamp)) })), (list) => {
      const err = lib.rd_kafka_offsets_for_times(this.#rk, list, timeoutMs);
      if (err !== 0) throw errorFromCode(lib, err, `offsets for times ${topic}`);
      return fromTpList(list).map(({ partition, offset, err: code }) => {
        if (code !== 0) throw errorFromCode(lib, code, `offsets for times ${topic}[${partition}]`);
        return { partition, offset };
      });
    });
  }

  /** Sum of (high watermark - committed) over the group's committed partitions of `topic`. */
  async groupLag(groupId: string, topic: string): Promise<bigint> {
    let lag = 0n;
    for (const c of await this.committed(groupId)) {
      if (c.topic !== topic) continue;
      const { low, high } = await this.watermarks(topic, c.partition);
      lag += high - (c.offset >= 0n ? c.offset : low);
    }
    return lag;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#pump.stop();
    for (const r of this.#requests.values()) r.reject(errorFromCode(this.#lib, ERR.DESTROY, 'admin client closed'));
    this.#requests.clear();
    this.#lib.rd_kafka_queue_destroy(this.#queue);
    this.#lib.rd_kafka_destroy(this.#rk);
  }
}

export function createAdmin(options: AdminOptions = {}): Admin {
  return new Admin(options);
}

export { KafkaError };
