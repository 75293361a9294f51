import { ptr, read, type Pointer } from 'bun:ffi';
import { buildConf, createHandle, DEFAULT_BROKERS, type KafkaConfig } from './conf.ts';
import { Emitter } from './emitter.ts';
import { errorFromCode, KafkaError } from './errors.ts';
import { ERR, EVENT, loadRdkafka, MSG, PURGE_F_INFLIGHT, PURGE_F_QUEUE, RD_KAFKA_PRODUCER, type Rdkafka } from './ffi.ts';
import { asPtr, cstr, mustPtr } from './native.ts';
import { EventPump } from './pump.ts';
import { VuWriter, type HeaderAdd, type OutgoingMessage } from './vu.ts';
import { clientEvent, SlotTable, type ClientEvents, type DeliveryReport, type DeliveryResult } from './slots.ts';

export type { DeliveryReport, DeliveryResult } from './slots.ts';

export interface ProducerOptions {
  /** bootstrap.servers; `config['bootstrap.servers']` wins if both are given. */
  brokers?: string;
  /** Any librdkafka producer property; merged over PRODUCER_DEFAULTS. */
  config?: KafkaConfig;
  /** Emits a 'stats' event at this interval (statistics.interval.ms); 0 disables. */
  statsIntervalMs?: number;
  libraryPath?: string;
}

/**
 * Durable by default: acks=all with idempotence keeps per-partition order without duplicates across retries.
 * linger 5 ms / 256 KiB batches are what Kafka's own ProducerPerformance is run with in bench/kafka, and lz4 costs
 * little CPU. message.timeout.ms is 30 s rather than librdkafka's 5 min so an unreachable cluster surfaces quickly.
 * One request in flight: with five, librdkafka 2.0 let a later batch succeed past one that failed NOT_LEADER on a
 * fresh topic and then reported the failed one as delivered ("implicitly acked"); acknowledged messages were missing
 * in about one run of consumer.test.ts in eight. bench:kafka showed no cost: batches grow while one request is out.
 */
export const PRODUCER_DEFAULTS: KafkaConfig = {
  acks: 'all',
  'enable.idempotence': true,
  'linger.ms': 5,
  'batch.size': 262144,
  'compression.type': 'lz4',
  'message.timeout.ms': 30000,
  'max.in.flight.requests.per.connection': 1,
};

const DR_BATCH = 4096;

export class Producer extends Emitter<ClientEvents> {
  readonly #lib: Rdkafka;
  readonly #rk: Pointer;
  readonly #queue: Pointer;
  readonly #pump: EventPump;
  readonly #vu = new VuWriter();
  readonly #vusPtr: Pointer;
  readonly #topics = new Map<string, Pointer>();
  readonly #slots = new SlotTable();
  readonly #msgs = new Uint8Array(DR_BATCH * 8);
  readonly #msgsPtr: Pointer;
  #lastError: KafkaError | undefined;
  #brokersDown = false;
  /** acks is not 0, so every stored message has an offset in its delivery report. */
  readonly #acked: boolean;
  #closing: Promise<void> | undefined;
  #closed = false;
  readonly #addHeader: HeaderAdd = (list, name, nameLength, value, valueLength) => this.#lib.rd_kafka_header_add(list, name as Pointer, nameLength, value as Pointer, valueLength);

  constructor({ brokers = DEFAULT_BROKERS, config = {}, statsIntervalMs = 0, libraryPath }: ProducerOptions = {}) {
    super();
    this.#lib = loadRdkafka(libraryPath);
    const merged: KafkaConfig = { ...PRODUCER_DEFAULTS, 'bootstrap.servers': brokers, ...config };
    if (statsIntervalMs > 0) merged['statistics.interval.ms'] = statsIntervalMs;
    this.#acked = String(merged.acks ?? merged['request.required.acks'] ?? 'all') !== '0';
    const conf = buildConf(this.#lib, merged, EVENT.DR | EVENT.ERROR | EVENT.STATS);
    this.#rk = createHandle(this.#lib, RD_KAFKA_PRODUCER, conf);
    this.#queue = mustPtr(this.#lib.rd_kafka_queue_get_main(this.#rk), 'rd_kafka_queue_get_main');
    this.#vusPtr = ptr(this.#vu.vus);
    this.#msgsPtr = ptr(this.#msgs);
    this.#pump = new EventPump({ lib: this.#lib, queue: this.#queue, handle: (ev) => this.#onEvent(ev) });
  }

  /** The raw handle, for librdkafka's mock-cluster helpers in tests. */
  get handle(): Pointer {
    return this.#rk;
  }

  /** Resolves with the delivery report; rejects with QueueFull when librdkafka's queue is full (shed load). */
  produce(msg: OutgoingMessage): Promise<DeliveryReport> {
    const { promise, resolve, reject } = Promise.withResolvers<DeliveryReport>();
    const slot = this.#slots.single(msg.topic, resolve, reject);
    const err = this.#send(msg, slot);
    if (err) {
      this.#slots.release(slot);
      reject(err);
    }
    return promise;
  }

  /**
   * Enqueues many messages with one promise: results come back in input order, each a report or the KafkaError for
   * that message (never rejects). Once the queue is full the rest get QueueFull without being attempted.
   */
  produceBatch(msgs: readonly OutgoingMessage[]): Promise<DeliveryResult[]> {
    const { promise, resolve } = Promise.withResolvers<DeliveryResult[]>();
    const batch = this.#slots.batch(msgs.length, resolve);
    let failed: KafkaError | undefined;
    for (let i = 0; i < msgs.length; i++) {
      const msg = msgs[i]!;
      if (failed?.rdName === '_QUEUE_FULL' || this.#closing) {
        batch.settle(i, failed ?? this.#closedError());
        continue;
      }
      const slot = this.#slots.inBatch(msg.topic, batch, i);
      const err = this.#send(msg, slot);
      if (err) {
        this.#slots.release(slot);
        failed = err;
        batch.settle(i, err);
      }
    }
    return promise;
  }

  #send(msg: OutgoingMessage, slot: number): KafkaError | undefined {
    if (this.#closing) return this.#closedError();
    const vu = this.#vu;
    const lib = this.#lib;
    let headers: Pointer | null = null;
    try {
      vu.begin(this.#topic(msg.topic), slot + 1, msg.partition);
      vu.value(msg.value);
      vu.key(msg.key);
      if (msg.timestamp !== undefined) vu.timestamp(msg.timestamp);
      if (msg.headers) {
        headers = mustPtr(lib.rd_kafka_headers_new(8), 'rd_kafka_headers_new');
        vu.headers(msg.headers, headers, this.#addHeader);
      }
    } catch (cause) {
      if (headers) lib.rd_kafka_headers_destroy(headers);
      return new KafkaError({ code: ERR.INVALID_ARG, rdName: '_INVALID_ARG', message: (cause as Error).message });
    }
    const error = asPtr(lib.rd_kafka_produceva(this.#rk, this.#vusPtr, vu.count));
    if (!error) return undefined;
    // A header list passed as VTYPE_HEADERS becomes librdkafka's only once the message is queued. Headers passed one
    // by one (VTYPE_HEADER) are freed twice when queuing fails, as for a topic the client knows is gone, which
    // crashed the process with librdkafka 2.0.2 (confluentinc/librdkafka#4627).
    if (headers) lib.rd_kafka_headers_destroy(headers);
    const code = lib.rd_kafka_error_code(error);
    const detail = String(lib.rd_kafka_error_string(error));
    lib.rd_kafka_error_destroy(error);
    return errorFromCode(lib, code, detail);
  }

  #topic(name: string): Pointer {
    let rkt = this.#topics.get(name);
    if (rkt === undefined) {
      const p = asPtr(this.#lib.rd_kafka_topic_new(this.#rk, cstr(name), null));
      if (!p) throw errorFromCode(this.#lib, this.#lib.rd_kafka_last_error(), `cannot create topic handle for "${name}"`);
      this.#topics.set(name, (rkt = p));
    }
    return rkt;
  }

  #onEvent(ev: Pointer): boolean {
    const lib = this.#lib;
    const type = lib.rd_kafka_event_type(ev);
    if (type === EVENT.DR) {
      for (;;) {
        const n = Number(lib.rd_kafka_event_message_array(ev, this.#msgsPtr, DR_BATCH));
        if (n === 0) break;
        for (let i = 0; i < n; i++) this.#settle(read.ptr(this.#msgsPtr, i * 8) as Pointer);
      }
    } else {
      const e = clientEvent(lib, this.#rk, ev, type);
      if (e?.kind === 'stats') this.emit('stats', e.stats);
      if (e?.kind === 'error') {
        this.#lastError = e.error;
        if (e.error.code === ERR.ALL_BROKERS_DOWN) this.#brokersDown = true;
        this.emit('error', e.error);
      }
    }
    lib.rd_kafka_event_destroy(ev);
    return true;
  }

  #settle(m: Pointer): void {
    const slot = (read.ptr(m, MSG.opaque) as number) - 1;
    const err = read.i32(m, MSG.err);
    const offset = err === 0 ? BigInt(read.i64(m, MSG.offset)) : 0n;
    if (err === 0 && offset < 0n && this.#acked) {
      // With acks set, a stored message always comes back with its offset. librdkafka 2.0 reports success without
      // one when it treats a batch as "implicitly acked" by a later one, or takes DUPLICATE_SEQUENCE_NUMBER as
      // success: acknowledged messages went missing from a fresh topic (see PRODUCER_DEFAULTS, confluent-kafka-go#921).
      this.#slots.reject(slot, uncertainDelivery());
    } else if (err === 0) {
      this.#brokersDown = false;
      this.#slots.resolve(slot, read.i32(m, MSG.partition), offset);
    } else {
      this.#slots.reject(slot, errorFromCode(this.#lib, err));
    }
  }

  #closedError(): KafkaError {
    return errorFromCode(this.#lib, ERR.DESTROY, 'producer is closed');
  }

  /** Messages not yet acknowledged (librdkafka's out queue plus reports not yet served). */
  queueLength(): number {
    return this.#closed ? 0 : Math.max(this.#slots.pending, this.#lib.rd_kafka_outq_len(this.#rk));
  }

  lastError(): KafkaError | undefined {
    return this.#lastError;
  }

  /** False once closed, after a fatal error, or while every broker is down (until a delivery succeeds again). */
  isHealthy(): boolean {
    return !this.#closed && !this.#closing && !this.#brokersDown && !this.#lastError?.fatal;
  }

  /**
   * Waits until every pending delivery is settled. rd_kafka_flush(rk, >0) would deadlock here (its reports go to the
   * queue this thread serves), so: serve the queue, rd_kafka_flush(rk, 0) to skip linger, wait for the next wakeup.
   */
  async flush(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#closed) {
      this.#pump.drain();
      if (this.#slots.pending === 0 && this.#lib.rd_kafka_outq_len(this.#rk) === 0) return;
      const left = deadline - Date.now();
      if (left <= 0) throw errorFromCode(this.#lib, ERR.TIMED_OUT, `flush: ${this.#slots.pending} deliveries still pending`);
      this.#lib.rd_kafka_flush(this.#rk, 0);
      await this.#pump.wait(Math.min(left, 100));
    }
  }

  /** Flushes, then purges what is left: every pending promise is settled (delivered, or rejected with the reason). */
  close(timeoutMs = 10_000): Promise<void> {
    this.#closing ??= this.#close(timeoutMs);
    return this.#closing;
  }

  async #close(timeoutMs: number): Promise<void> {
    await this.flush(timeoutMs).catch(() => undefined);
    const lib = this.#lib;
    lib.rd_kafka_purge(this.#rk, PURGE_F_QUEUE | PURGE_F_INFLIGHT);
    const deadline = Date.now() + 2000;
    while (this.#slots.pending > 0 && Date.now() < deadline) {
      this.#pump.drain();
      if (this.#slots.pending > 0) await this.#pump.wait(20);
    }
    this.#pump.stop();
    this.#slots.rejectAll(this.#closedError());
    for (const rkt of this.#topics.values()) lib.rd_kafka_topic_destroy(rkt);
    this.#topics.clear();
    lib.rd_kafka_queue_destroy(this.#queue);
    lib.rd_kafka_destroy(this.#rk);
    this.#closed = true;
  }
}

export function createProducer(options: ProducerOptions = {}): Producer {
  return new Producer(options);
}

/** Retriable: the message may or may not be stored, so the caller produces it again (consumers dedupe by id). */
function uncertainDelivery(): KafkaError {
  return new KafkaError({
    code: ERR.FAIL,
    rdName: '_DELIVERY_UNCERTAIN',
    message: 'the broker acknowledged the message without an offset, so it may not be stored; produce it again',
    retriable: true,
  });
}
