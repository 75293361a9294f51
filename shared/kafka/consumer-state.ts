import type { ConsumedMessage } from './messages.ts';
import { tpKey, type TopicPartition, type TopicPartitionOffset } from './native.ts';
import type { RebalanceEvent } from './rebalance.ts';

export interface PartitionLag extends TopicPartition {
  /** Next offset poll() will return (or -1 when nothing was consumed and nothing committed is known). */
  position: bigint;
  /** High watermark from the last fetch response (-1 until the first fetch). */
  high: bigint;
  lag: bigint | undefined;
  /**
   * Offset this member last committed, or, before its first commit, the offset consumption started from (the group's
   * committed offset, or where auto.offset.reset put it); -1 until poll() returned a message of the partition.
   */
  committed: bigint;
  /** High watermark minus `committed`: what is not yet committed, including messages taken but still in process. */
  uncommitted: bigint | undefined;
}

/**
 * What a consumer knows of its partitions without asking librdkafka: the messages fetched ahead of poll(), the
 * assignment as applied rebalances left it, the pauses, and per partition the position and the last committed offset.
 */
export class ConsumerState {
  readonly #maxBuffered: number;
  readonly #maxBufferedBytes: number;
  #buffer: ConsumedMessage[] = [];
  #bufferedBytes = 0;
  readonly #committed = new Map<string, bigint>();
  readonly #positions = new Map<string, TopicPartitionOffset>();
  readonly #paused = new Set<string>();
  readonly #assigned = new Map<string, TopicPartition>();

  constructor({ maxBuffered, maxBufferedBytes }: { maxBuffered: number; maxBufferedBytes: number }) {
    this.#maxBuffered = maxBuffered;
    this.#maxBufferedBytes = maxBufferedBytes;
  }

  /** Messages fetched and not yet taken. */
  get buffered(): number {
    return this.#buffer.length;
  }

  /** Whether more may be copied out of librdkafka ahead of poll(): under both bounds, messages and bytes. */
  hasRoom(): boolean {
    return this.#buffer.length < this.#maxBuffered && this.#bufferedBytes < this.#maxBufferedBytes;
  }

  push(message: ConsumedMessage): void {
    this.#bufferedBytes += sizeOf(message);
    this.#buffer.push(message);
  }

  /** Up to `max` buffered messages of partitions not paused, in fetch order; moves their positions past them. */
  take(max: number): ConsumedMessage[] {
    let out: ConsumedMessage[];
    if (this.#paused.size === 0) {
      out = this.#buffer.length <= max ? this.#buffer : this.#buffer.slice(0, max);
      this.#buffer = out === this.#buffer ? [] : this.#buffer.slice(max);
    } else {
      out = [];
      const rest: ConsumedMessage[] = [];
      for (const m of this.#buffer) {
        if (out.length < max && !this.#paused.has(tpKey(m.topic, m.partition))) out.push(m);
        else rest.push(m);
      }
      this.#buffer = rest;
    }
    // Set at the last message of each run of one partition: a key and an object per message showed in worker profiles.
    let runStart = 0;
    let bytes = 0;
    for (let i = 0; i < out.length; i++) {
      const m = out[i]!;
      bytes += sizeOf(m);
      const n = out[i + 1];
      if (n?.partition === m.partition && n.topic === m.topic) continue;
      const key = tpKey(m.topic, m.partition);
      this.#positions.set(key, { topic: m.topic, partition: m.partition, offset: m.offset + 1n });
      if (!this.#committed.has(key)) this.#committed.set(key, out[runStart]!.offset);
      runStart = i + 1;
    }
    this.#bufferedBytes = this.#buffer.length === 0 ? 0 : this.#bufferedBytes - bytes;
    return out;
  }

  /** Drops buffered messages (and positions) of partitions this member no longer owns; all when undefined. */
  forget(partitions: readonly TopicPartition[] | undefined): void {
    const keys = partitions ? new Set(partitions.map((p) => tpKey(p.topic, p.partition))) : undefined;
    this.#buffer = keys ? this.#buffer.filter((m) => !keys.has(tpKey(m.topic, m.partition))) : [];
    this.#bufferedBytes = this.#buffer.reduce((n, m) => n + sizeOf(m), 0);
    for (const k of keys ?? [...this.#positions.keys()]) this.#positions.delete(k);
  }

  /** After a rebalance was applied: an eager revoke (or an error) takes everything, a cooperative one its partitions. */
  rebalanced(event: RebalanceEvent & { cooperative: boolean }): void {
    if (!event.cooperative || event.kind === 'error') this.#assigned.clear();
    for (const p of event.partitions) {
      if (event.kind === 'assign') this.#assigned.set(tpKey(p.topic, p.partition), p);
      else if (event.kind === 'revoke') this.#assigned.delete(tpKey(p.topic, p.partition));
    }
    if (event.kind !== 'assign') {
      this.forget(event.cooperative ? event.partitions : undefined);
      if (!event.cooperative) this.#committed.clear();
      else for (const p of event.partitions) this.#committed.delete(tpKey(p.topic, p.partition));
    }
  }

  /** After the coordinator acknowledged a commit: the offsets of partitions still owned. */
  committed(offsets: readonly TopicPartitionOffset[]): void {
    for (const o of offsets) {
      const key = tpKey(o.topic, o.partition);
      if (o.offset >= 0n && this.#assigned.has(key)) this.#committed.set(key, o.offset);
    }
  }

  /** The position after every message take() returned, per partition. */
  positions(): TopicPartitionOffset[] {
    return [...this.#positions.values()];
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const p of partitions) this.#paused.add(tpKey(p.topic, p.partition));
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const p of partitions) this.#paused.delete(tpKey(p.topic, p.partition));
  }

  /** After a seek to a real offset (not OFFSET_BEGINNING / OFFSET_END), that offset is the position. */
  sought(to: TopicPartitionOffset): void {
    if (to.offset >= 0n) this.#positions.set(tpKey(to.topic, to.partition), { ...to });
  }

  assignment(): TopicPartition[] {
    return [...this.#assigned.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  /** A partition's lag, given its high watermark (-1 when unknown). */
  lag({ topic, partition }: TopicPartition, high: bigint): PartitionLag {
    const key = tpKey(topic, partition);
    const position = this.#positions.get(key)?.offset ?? -1n;
    const committed = this.#committed.get(key) ?? -1n;
    const behind = (from: bigint) => (high >= 0n && from >= 0n ? (high > from ? high - from : 0n) : undefined);
    return { topic, partition, position, high, lag: behind(position), committed, uncommitted: behind(committed) };
  }

  /** At close: nothing buffered is delivered any more. */
  clear(): void {
    this.#buffer = [];
    this.#bufferedBytes = 0;
  }
}

const sizeOf = (m: ConsumedMessage): number => (m.value?.byteLength ?? 0) + (m.key?.byteLength ?? 0);
