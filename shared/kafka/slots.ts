import type { Pointer } from 'bun:ffi';
import { errorFromCode, type KafkaError } from './errors.ts';
import { EVENT, type Rdkafka } from './ffi.ts';

export interface DeliveryReport {
  topic: string;
  partition: number;
  offset: bigint;
}
export type DeliveryResult = DeliveryReport | KafkaError;

/** librdkafka's statistics JSON (STATISTICS.md), passed through unparsed-by-type. */
export type KafkaStats = Record<string, unknown>;

export interface ClientEvents extends Record<string, unknown> {
  stats: KafkaStats;
  error: KafkaError;
}

export class BatchState {
  readonly results: DeliveryResult[];
  #remaining: number;
  constructor(size: number, readonly done: (r: DeliveryResult[]) => void) {
    this.results = new Array<DeliveryResult>(size);
    this.#remaining = size;
    if (size === 0) done(this.results);
  }
  settle(index: number, r: DeliveryResult): void {
    this.results[index] = r;
    if (--this.#remaining === 0) this.done(this.results);
  }
}

/**
 * In-flight deliveries keyed by an integer slot that travels as the message opaque (slot + 1, so never NULL):
 * settling a delivery report is an array lookup, and freed slots are reused so the table stays as small as the
 * peak number of messages in flight (bounded by queue.buffering.max.messages).
 */
export class SlotTable {
  readonly #resolve: Array<((r: DeliveryReport) => void) | undefined> = [];
  readonly #reject: Array<((e: KafkaError) => void) | undefined> = [];
  readonly #batch: Array<BatchState | undefined> = [];
  readonly #index: number[] = [];
  readonly #topic: string[] = [];
  readonly #free: number[] = [];
  pending = 0;

  #take(topic: string): number {
    const slot = this.#free.pop() ?? this.#topic.length;
    this.#topic[slot] = topic;
    this.pending++;
    return slot;
  }

  single(topic: string, resolve: (r: DeliveryReport) => void, reject: (e: KafkaError) => void): number {
    const slot = this.#take(topic);
    this.#resolve[slot] = resolve;
    this.#reject[slot] = reject;
    this.#batch[slot] = undefined;
    return slot;
  }

  batch(size: number, done: (r: DeliveryResult[]) => void): BatchState {
    return new BatchState(size, done);
  }

  inBatch(topic: string, batch: BatchState, index: number): number {
    const slot = this.#take(topic);
    this.#resolve[slot] = undefined;
    this.#reject[slot] = undefined;
    this.#batch[slot] = batch;
    this.#index[slot] = index;
    return slot;
  }

  release(slot: number): void {
    this.#resolve[slot] = this.#reject[slot] = this.#batch[slot] = undefined;
    this.#free.push(slot);
    this.pending--;
  }

  resolve(slot: number, partition: number, offset: bigint): void {
    const report: DeliveryReport = { topic: this.#topic[slot]!, partition, offset };
    const batch = this.#batch[slot];
    const fn = this.#resolve[slot];
    const index = this.#index[slot]!;
    this.release(slot);
    if (batch) batch.settle(index, report);
    else fn?.(report);
  }

  reject(slot: number, error: KafkaError): void {
    const batch = this.#batch[slot];
    const fn = this.#reject[slot];
    const index = this.#index[slot]!;
    this.release(slot);
    if (batch) batch.settle(index, error);
    else fn?.(error);
  }

  rejectAll(error: KafkaError): void {
    for (let slot = 0; slot < this.#topic.length; slot++) {
      if (this.#resolve[slot] || this.#batch[slot]) this.reject(slot, error);
    }
  }
}

export type ClientEvent = { kind: 'stats'; stats: KafkaStats } | { kind: 'error'; error: KafkaError };

/** STATS and ERROR events, shared by producer, consumer and admin. Fatal errors carry the underlying cause. */
export function clientEvent(lib: Rdkafka, rk: Pointer, ev: Pointer, type: number): ClientEvent | undefined {
  if (type === EVENT.STATS) return { kind: 'stats', stats: JSON.parse(String(lib.rd_kafka_event_stats(ev))) as KafkaStats };
  if (type !== EVENT.ERROR) return undefined;
  const fatal = lib.rd_kafka_event_error_is_fatal(ev) !== 0;
  let code = lib.rd_kafka_event_error(ev);
  let detail = String(lib.rd_kafka_event_error_string(ev));
  if (fatal) {
    const buf = new Uint8Array(512);
    code = lib.rd_kafka_fatal_error(rk, buf, buf.length);
    detail = new TextDecoder().decode(buf.subarray(0, Math.max(0, buf.indexOf(0))));
  }
  return { kind: 'error', error: errorFromCode(lib, code, detail, fatal) };
}
