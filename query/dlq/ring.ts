export interface RingOptions {
  /** Most entries held. */
  readonly capacity: number;
  /** Most bytes held, as the sizes given to push add up. */
  readonly maxBytes?: number;
}

/**
 * A bounded FIFO with a sequence number per entry: the newest entries are kept while both bounds hold (at most
 * `capacity` entries, at most `maxBytes` by the sizes given to push), oldest dropped first. Sequence numbers only
 * grow, so a cursor (the last sequence a page showed) stays meaningful while entries arrive and fall off: the next
 * page is simply "older than that". An entry larger than `maxBytes` on its own is still kept, alone: the caller
 * bounds what one entry may weigh.
 */
export class Ring<T> {
  readonly capacity: number;
  readonly maxBytes: number;
  readonly #items: Array<T | undefined>;
  readonly #sizes: Float64Array;
  #next = 0;
  #oldest = 0;
  #bytes = 0;

  constructor({ capacity, maxBytes = Number.POSITIVE_INFINITY }: RingOptions) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
    if (!(maxBytes > 0)) throw new RangeError(`ring maxBytes must be positive, got ${maxBytes}`);
    this.capacity = capacity;
    this.maxBytes = maxBytes;
    this.#items = new Array(capacity);
    this.#sizes = new Float64Array(capacity);
  }

  /** Appends, dropping the oldest entries until both bounds hold, and returns the entry's sequence number. */
  push(item: T, bytes = 0): number {
    while (this.size > 0 && (this.size === this.capacity || this.#bytes + bytes > this.maxBytes)) this.#dropOldest();
    const seq = this.#next++;
    this.#items[seq % this.capacity] = item;
    this.#sizes[seq % this.capacity] = bytes;
    this.#bytes += bytes;
    return seq;
  }

  #dropOldest(): void {
    const slot = this.#oldest++ % this.capacity;
    this.#bytes -= this.#sizes[slot] ?? 0;
    this.#items[slot] = undefined;
  }

  /** The sequence number the next push gets. */
  get nextSeq(): number {
    return this.#next;
  }

  /** Entries currently held. */
  get size(): number {
    return this.#next - this.#oldest;
  }

  /** Bytes currently held, as given to push. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Entries pushed and already dropped to make room. */
  get dropped(): number {
    return this.#oldest;
  }

  /** Newest first, starting below `before` (exclusive) when given. */
  *newestFirst(before = Number.POSITIVE_INFINITY): Generator<[seq: number, item: T]> {
    const oldest = this.#oldest;
    for (let seq = Math.min(this.#next, before) - 1; seq >= oldest; seq--) {
      yield [seq, this.#items[seq % this.capacity] as T];
    }
  }
}
