import { ptr, read, type Pointer } from 'bun:ffi';
import { buildConf, createHandle, DEFAULT_BROKERS, type KafkaConfig } from './conf.ts';
import { Emitter } from './emitter.ts';
import { errorFromCode, takeError, type KafkaError } from './errors.ts';
import { DESTROY_F_NO_CONSUMER_CLOSE, ERR, EVENT, loadRdkafka, RD_KAFKA_CONSUMER, type Rdkafka } from './ffi.ts';
import { MessageReader, type ConsumedMessage } from './messages.ts';
import { asPtr, mustPtr, withTpList, type TopicPartition, type TopicPartitionOffset } from './native.ts';
import { EventPump } from './pump.ts';
import { clientEvent, type ClientEvents } from './slots.ts';
import { CommitTracker } from './commits.ts';
import { ConsumerState, type PartitionLag } from './consumer-state.ts';
import { applyRebalance, type RebalanceEvent } from './rebalance.ts';

export type { ConsumedMessage } from './messages.ts';
export type { RebalanceEvent } from './rebalance.ts';
export type { PartitionLag } from './consumer-state.ts';

export interface ConsumerOptions {
  brokers?: string;
  groupId: string;
  topics: readonly string[];
  /** Any librdkafka consumer property; merged over CONSUMER_DEFAULTS. */
  config?: KafkaConfig;
  statsIntervalMs?: number;
  /** Messages copied out of librdkafka ahead of poll(); beyond this, fetched data waits in librdkafka's bounded queue. */
  maxBuffered?: number;
  /** The same bound in bytes (values and keys): 10,000 messages of 1 MiB would otherwise be 10 GB held in JS. */
  maxBufferedBytes?: number;
  /** false: records come without their values (null), for readers of keys, headers and positions only. */
  values?: boolean;
  /**
   * true: poll() too copies out of librdkafka only while the buffer has room (maxBuffered, maxBufferedBytes), rather
   * than all that is ready: with a long backlog the first records return after one buffer's copying, not seconds.
   */
  boundedPoll?: boolean;
  libraryPath?: string;
}

export interface ConsumerEvents extends ClientEvents {
  rebalance: RebalanceEvent;
}

/** Offsets are committed explicitly (commit()), after the application has processed what poll() returned. */
export const CONSUMER_DEFAULTS: KafkaConfig = {
  'enable.auto.commit': false,
  'enable.auto.offset.store': false,
  'auto.offset.reset': 'earliest',
};

export class Consumer extends Emitter<ConsumerEvents> {
  readonly #lib: Rdkafka;
  readonly #rk: Pointer;
  readonly #consumerQ: Pointer;
  readonly #mainQ: Pointer;
  readonly #reader: MessageReader;
  readonly #fetchPump: EventPump;
  readonly #mainPump: EventPump;
  readonly #commits: CommitTracker;
  readonly #state: ConsumerState;
  readonly #pendingRebalances: Pointer[] = [];
  #inPoll = false;
  readonly #boundedPoll: boolean;
  #closing: Promise<void> | undefined;
  #closed = false;
  #lastError: KafkaError | undefined;
  readonly groupId: string;

  constructor({
    brokers = DEFAULT_BROKERS,
    groupId,
    topics,
    config = {},
    statsIntervalMs = 0,
    maxBuffered = 10_000,
    maxBufferedBytes = 64 * 1024 * 1024,
    values = true,
    boundedPoll = false,
    libraryPath,
  }: ConsumerOptions) {
    super();
    const lib = (this.#lib = loadRdkafka(libraryPath));
    const merged: KafkaConfig = { ...CONSUMER_DEFAULTS, 'bootstrap.servers': brokers, ...config, 'group.id': groupId };
    if (statsIntervalMs > 0) merged['statistics.interval.ms'] = statsIntervalMs;
    // REBALANCE as an event (not a callback) keeps every librdkafka interaction on this thread, inside poll().
    const conf = buildConf(lib, merged, EVENT.ERROR | EVENT.STATS | EVENT.REBALANCE | EVENT.OFFSET_COMMIT);
    this.#rk = createHandle(lib, RD_KAFKA_CONSUMER, conf);
    this.#state = new ConsumerState({ maxBuffered, maxBufferedBytes });
    this.#boundedPoll = boundedPoll;
    this.groupId = groupId;
    this.#reader = new MessageReader(lib, { values });
    // Not rd_kafka_poll_set_consumer: commit results, stats and client errors stay on the main queue, so a full
    // fetch buffer can never hold back a commit the application is awaiting.
    this.#consumerQ = mustPtr(lib.rd_kafka_queue_get_consumer(this.#rk), 'rd_kafka_queue_get_consumer');
    this.#mainQ = mustPtr(lib.rd_kafka_queue_get_main(this.#rk), 'rd_kafka_queue_get_main');
    this.#commits = new CommitTracker(lib, this.#rk, this.#mainQ, (e) => this.#error(e));
    this.#mainPump = new EventPump({ lib, queue: this.#mainQ, handle: (ev) => this.#onMainEvent(ev) });
    this.#fetchPump = new EventPump({
      lib,
      queue: this.#consumerQ,
      handle: (ev) => this.#onConsumerEvent(ev),
      canDrain: () => this.#pendingRebalances.length === 0 && ((this.#inPoll && !this.#boundedPoll) || this.#state.hasRoom()),
    });
    const err = withTpList(lib, topics.map((topic) => ({ topic, partition: -1 })), (list) => lib.rd_kafka_subscribe(this.#rk, list));
    if (err !== 0) {
      void this.close(0);
      throw errorFromCode(lib, err, `subscribe to ${topics.join(', ')}`);
    }
  }

  #error(e: KafkaError): void {
    this.#lastError = e;
    this.emit('error', e);
  }

  #onMainEvent(ev: Pointer): boolean {
    const type = this.#lib.rd_kafka_event_type(ev);
    if (type === EVENT.OFFSET_COMMIT) this.#commits.onEvent(ev);
    else this.#clientEvent(ev, type);
    this.#lib.rd_kafka_event_destroy(ev);
    return true;
  }

  #clientEvent(ev: Pointer, type: number): void {
    const e = clientEvent(this.#lib, this.#rk, ev, type);
    if (e?.kind === 'stats') this.emit('stats', e.stats);
    if (e?.kind === 'error') this.#error(e.error);
  }

  #onConsumerEvent(ev: Pointer): boolean {
    const lib = this.#lib;
    const type = lib.rd_kafka_event_type(ev);
    if (type === EVENT.REBALANCE) {
      // Like Java's KafkaConsumer, rebalances are applied inside poll(), at the start of the next call: by then the
      // application has committed what it processed (rebalancePending() lets it finish deferred work first), so the
      // next owner starts exactly there. Draining stops here, so no message fetched after it is buffered before it.
      this.#pendingRebalances.push(ev);
      return false;
    }
    if (type === EVENT.FETCH) {
      const m = asPtr(lib.rd_kafka_event_message_next(ev));
      const err = m ? read.i32(m, 0) : 0;
      if (m && err === 0 && !this.#closing) this.#state.push(this.#reader.read(m));
      else if (err !== 0 && err !== ERR.PARTITION_EOF) this.#error(errorFromCode(lib, err));
    } else {
      this.#clientEvent(ev, type);
    }
    lib.rd_kafka_event_destroy(ev);
    return true;
  }

  #rebalance(ev: Pointer): void {
    const event = applyRebalance(this.#lib, this.#rk, ev, (e) => this.#error(e));
    this.#state.rebalanced(event);
    this.emit('rebalance', { kind: event.kind, partitions: event.partitions, ...(event.error ? { error: event.error } : {}) });
  }

  #applyPendingRebalances(): void {
    for (let ev = this.#pendingRebalances.shift(); ev; ev = this.#pendingRebalances.shift()) {
      this.#rebalance(ev);
      this.#lib.rd_kafka_event_destroy(ev);
    }
  }

  /** Up to maxMessages; waits (without blocking the event loop) up to timeoutMs when none are ready. */
  async poll(maxMessages = 500, timeoutMs = 1000): Promise<ConsumedMessage[]> {
    if (this.#closing) throw errorFromCode(this.#lib, ERR.DESTROY, 'consumer is closed');
    if (this.#inPoll) throw new Error('poll() is already running on this consumer; await it before polling again');
    const deadline = Date.now() + timeoutMs;
    this.#inPoll = true;
    try {
      this.#applyPendingRebalances();
      for (;;) {
        if (this.#state.buffered < maxMessages && (!this.#boundedPoll || this.#state.hasRoom())) this.#fetchPump.drain();
        const out = this.#state.take(maxMessages);
        const left = deadline - Date.now();
        // A rebalance that arrived during this call is left for the next one, after the caller has seen it.
        if (out.length > 0 || left <= 0 || this.#closing || this.#pendingRebalances.length > 0) return out;
        await this.#fetchPump.wait(Math.min(left, 250));
      }
    } finally {
      this.#inPoll = false;
    }
  }

  /**
   * Whether a rebalance arrived since the last poll(); the next poll() applies it. An application that holds processed
   * but uncommitted work (buffered windows) commits it first, as Java's onPartitionsRevoked does, so the next owner
   * starts where it left off instead of re-reading it.
   */
  rebalancePending(): boolean {
    return this.#pendingRebalances.length > 0;
  }

  /**
   * Commits explicit offsets (the NEXT offset to consume, as Kafka defines it), or by default the position after
   * every message poll() returned. sync (default) resolves once the coordinator acknowledged; async resolves at once
   * and reports a failure as an 'error' event.
   */
  commit(offsets?: readonly TopicPartitionOffset[], { sync = true }: { sync?: boolean } = {}): Promise<void> {
    if (this.#closed) return Promise.reject(errorFromCode(this.#lib, ERR.DESTROY, 'consumer is closed'));
    const list = offsets ?? this.#state.positions();
    const done = this.#commits.commit(list, sync);
    if (!sync) return done;
    return done.then(() => this.#state.committed(list));
  }

  pause(partitions: readonly TopicPartition[]): void {
    this.#state.pause(partitions);
    this.#check(withTpList(this.#lib, partitions, (l) => this.#lib.rd_kafka_pause_partitions(this.#rk, l)), 'pause');
  }

  resume(partitions: readonly TopicPartition[]): void {
    this.#state.resume(partitions);
    this.#check(withTpList(this.#lib, partitions, (l) => this.#lib.rd_kafka_resume_partitions(this.#rk, l)), 'resume');
  }

  /** Replays from `offset` (or OFFSET_BEGINNING / OFFSET_END) on an assigned partition; buffered messages are dropped. */
  seek(to: TopicPartitionOffset): void {
    this.#state.forget([to]);
    const e = withTpList(this.#lib, [to], (l) => asPtr(this.#lib.rd_kafka_seek_partitions(this.#rk, l, 0)));
    if (e) throw takeError(this.#lib, e);
    this.#state.sought(to);
  }

  #check(err: number, what: string): void {
    if (err !== 0) throw errorFromCode(this.#lib, err, what);
  }

  /**
   * The partitions this member owns, as the rebalances applied in poll() left them. Kept in JS rather than asked of
   * rd_kafka_assignment(), which waits for librdkafka's group thread: called on every poll by the workers' lag
   * gauge, it took 60% of a worker's time in a --cpu-prof profile.
   */
  assignment(): TopicPartition[] {
    if (this.#closed) return [];
    return this.#state.assignment();
  }

  /**
   * Per assigned partition, from the watermark librdkafka cached on its last fetch and the offsets this member
   * committed (no broker round trip). `lag` counts from the fetch position, which prefetch moves past messages still
   * being processed; `uncommitted` counts from the commit, so a batch held by retries shows in it.
   */
  lag(): PartitionLag[] {
    const lo = new BigInt64Array(2);
    return this.assignment().map((p) => {
      const err = this.#lib.rd_kafka_get_watermark_offsets(this.#rk, Buffer.from(`${p.topic}\0`), p.partition, ptr(lo), ptr(lo, 8));
      return this.#state.lag(p, err === 0 ? lo[1]! : -1n);
    });
  }

  lastError(): KafkaError | undefined {
    return this.#lastError;
  }

  /** Leaves the group (revoking partitions through the normal rebalance path) and frees the handle. */
  close(timeoutMs = 10_000): Promise<void> {
    this.#closing ??= this.#close(timeoutMs);
    return this.#closing;
  }

  async #close(timeoutMs: number): Promise<void> {
    const lib = this.#lib;
    while (this.#inPoll) await this.#fetchPump.wait(10);
    this.#inPoll = true;
    this.#applyPendingRebalances();
    const e = asPtr(lib.rd_kafka_consumer_close_queue(this.#rk, this.#consumerQ));
    if (e) this.#error(takeError(lib, e));
    const deadline = Date.now() + timeoutMs;
    while (!e && lib.rd_kafka_consumer_closed(this.#rk) === 0 && Date.now() < deadline) {
      // Leaving the group revokes through the rebalance path, which waits for that revoke to be applied.
      this.#fetchPump.drain();
      this.#applyPendingRebalances();
      this.#mainPump.drain();
      await this.#fetchPump.wait(Math.min(50, Math.max(0, deadline - Date.now())));
    }
    const closedCleanly = lib.rd_kafka_consumer_closed(this.#rk) !== 0;
    this.#mainPump.drain();
    this.#fetchPump.stop();
    this.#mainPump.stop();
    this.#commits.rejectAll(errorFromCode(lib, ERR.DESTROY, 'consumer closed before the commit completed'));
    this.#state.clear();
    lib.rd_kafka_queue_destroy(this.#consumerQ);
    lib.rd_kafka_queue_destroy(this.#mainQ);
    lib.rd_kafka_destroy_flags(this.#rk, closedCleanly ? 0 : DESTROY_F_NO_CONSUMER_CLOSE);
    this.#closed = true;
  }
}

export function createConsumer(options: ConsumerOptions): Consumer {
  return new Consumer(options);
}
