/**
 * UUIDv7 (RFC 9562 §5.7): 48-bit Unix ms timestamp, version 7, 12-bit rand_a, variant 0b10, 62 random bits.
 * Time-ordered ids keep Kafka/Elasticsearch/Postgres inserts roughly sequential and sort events by arrival.
 *
 * Made by Bun.randomUUIDv7, whose rand_a is a counter (RFC 9562 §6.2, method 1) so ids made in the same millisecond
 * still sort in the order they were made; when a millisecond's counter runs out (thousands of ids in one millisecond
 * in one process) it moves the id's time on by a millisecond, as §6.2 allows, rather than give up the order.
 *
 * It replaced a JS implementation that built each id from 20 concatenated pieces: cheap to call, but JavaScriptCore
 * keeps such a string as a rope and flattens it when it is first read, and every id is read (serialised into its
 * Kafka record and its receipt). Counting that, `bun bench/contracts/uuid.ts` measured Bun's at about 2x the ids
 * per second (Bun 1.4.5, 2-core host), and on the edge's 100-event batches it was ~0.3 µs of CPU per event.
 */

const MAX_MS = 2 ** 48 - 1;

export function uuidv7(nowMs: number = Date.now()): string {
  if (!Number.isInteger(nowMs) || nowMs < 0 || nowMs > MAX_MS) {
    throw new RangeError(`uuidv7: timestamp must be an integer between 0 and 2^48-1 ms, got ${nowMs}`);
  }
  return Bun.randomUUIDv7('hex', nowMs);
}

/** The millisecond timestamp a UUIDv7 was made at, or undefined if the string is not a UUIDv7. */
export function uuidv7Time(id: string): number | undefined {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.test(id)) return undefined;
  return Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}
