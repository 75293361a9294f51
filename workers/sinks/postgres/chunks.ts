/** A run of consecutive items and the JSON text of each, written by one statement. */
export interface Chunk<T> {
  readonly items: T[];
  readonly texts: string[];
}

/**
 * Splits items into consecutive chunks whose texts add up to at most `maxChars` characters, except that a chunk
 * always holds at least one item, so a single item over the limit still goes out (alone). A generator, so each text
 * is made only when its chunk is next: a batch's texts are never all in memory at once, only one chunk's.
 *
 * Counted in string length (UTF-16 units) because that length is already there; counting UTF-8 bytes would scan
 * every text once more. Postgres's limit on one bound value is 1 GB of bytes, and a character is at most 3 of them.
 */
export function* chunksByLength<T>(items: readonly T[], maxChars: number, textOf: (item: T) => string): Generator<Chunk<T>> {
  let chunk: Chunk<T> = { items: [], texts: [] };
  let chars = 0;
  for (const item of items) {
    const text = textOf(item);
    if (chunk.items.length > 0 && chars + text.length > maxChars) {
      yield chunk;
      chunk = { items: [], texts: [] };
      chars = 0;
    }
    chunk.items.push(item);
    chunk.texts.push(text);
    chars += text.length;
  }
  if (chunk.items.length > 0) yield chunk;
}
