/**
 * A bounded FIFO with a sequence number per entry: the newest `capacity` entries are kept, older ones are dropped.
 * Sequence numbers only grow, so a cursor (the last sequence a page showed) stays meaningful while entries arrive
 * and fall off: the next page is simply "older than that".
 */
export class Ring<T> {
  readonly #items: Array<T | undefined>;
  #next = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
    this.#items = new Array(capacity);
  }

  /** Appends and returns the entry's sequence number. */
  push(item: T): number {
    const seq = this.#next++;
    this.#items[seq % this.capacity] = item;
    return seq;
  }

  /** Entries currently held. */
  get size(): number {
    return Math.min(this.#next, this.capacity);
  }

  /** Entries pushed and already dropped to make room. */
  get dropped(): number {
    return Math.max(0, this.#next - this.capacity);
  }

  /** Newest first, starting below `before` (exclusive) when given. */
  *newestFirst(before = Number.POSITIVE_INFINITY): Generator<[seq: number, item: T]> {
    const oldest = this.dropped;
    for (let seq = Math.min(this.#next, before) - 1; seq >= oldest; seq--) {
      yield [seq, this.#items[seq % this.capacity] as T];
    }
  }
}
