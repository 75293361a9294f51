import type { Pointer } from 'bun:ffi';
import { errorFromCode, type KafkaError } from './errors.ts';
import { ERR, type Rdkafka } from './ffi.ts';
import { asPtr, fromTpList, withTpList, type TopicPartitionOffset } from './native.ts';

interface Waiter {
  resolve: () => void;
  reject: (e: KafkaError) => void;
}

/**
 * rd_kafka_commit(sync) would block the JS thread for a broker round trip; rd_kafka_commit_queue posts the result
 * as an OFFSET_COMMIT event instead, matched back to its promise through the event opaque (a request id).
 */
export class CommitTracker {
  readonly #waiters = new Map<number, Waiter>();
  #seq = 0;

  constructor(
    readonly lib: Rdkafka,
    readonly rk: Pointer,
    readonly queue: Pointer,
    readonly onAsyncError: (e: KafkaError) => void,
  ) {}

  commit(offsets: readonly TopicPartitionOffset[], sync: boolean): Promise<void> {
    if (offsets.length === 0) return Promise.resolve();
    const id = ++this.#seq;
    const err = withTpList(this.lib, offsets, (list) => this.lib.rd_kafka_commit_queue(this.rk, list, this.queue, null, id as Pointer));
    if (err === ERR.NO_OFFSET) return Promise.resolve();
    if (err !== 0) return Promise.reject(errorFromCode(this.lib, err, 'commit'));
    if (!sync) {
      this.#waiters.set(id, { resolve: () => undefined, reject: this.onAsyncError });
      return Promise.resolve();
    }
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#waiters.set(id, { resolve, reject });
    return promise;
  }

  onEvent(ev: Pointer): void {
    const lib = this.lib;
    const id = Number(asPtr(lib.rd_kafka_event_opaque(ev)) ?? 0);
    const waiter = this.#waiters.get(id);
    if (!waiter) return;
    this.#waiters.delete(id);
    let code = lib.rd_kafka_event_error(ev);
    let detail = code ? String(lib.rd_kafka_event_error_string(ev)) : '';
    if (code === 0) {
      const failed = fromTpList(asPtr(lib.rd_kafka_event_topic_partition_list(ev))).find((p) => p.err !== 0);
      if (failed) [code, detail] = [failed.err, `commit ${failed.topic}[${failed.partition}]`];
    }
    if (code === 0 || code === ERR.NO_OFFSET) waiter.resolve();
    else waiter.reject(errorFromCode(lib, code, detail));
  }

  rejectAll(e: KafkaError): void {
    for (const w of this.#waiters.values()) w.reject(e);
    this.#waiters.clear();
  }
}
