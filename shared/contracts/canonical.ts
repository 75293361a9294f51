import { MAX_LENGTH, NAME_CHARS, TYPE_CHARS } from './fields.ts';
import { isJsonObject } from './json.ts';
import type { StampedEvent } from './stamped.ts';
import { toIsoTimestamp } from './timestamp.ts';

const isBounded = (value: unknown, max: number): value is string => typeof value === 'string' && value.length <= max;
// toIsoTimestamp's output is the canonical form, so a string it returns unchanged is canonical. It remembers its last
// two inputs, and a batch repeats a few timestamps thousands of times.
const isCanonicalTime = (value: unknown): value is string => typeof value === 'string' && toIsoTimestamp(value) === value;

/**
 * `json` itself when it is already exactly what the stamped schema would output (the shape the edge writes: canonical
 * UTC timestamps, no extra fields), else undefined, and the caller runs the schema, which also says what is wrong.
 * A worker checks every event it reads, and valibot's walk was a tenth of its CPU in bench:workers; this accepts
 * nothing the schema refuses (canonical.test.ts compares the two over valid and broken events).
 */
export function canonicalStamped(json: unknown): StampedEvent | undefined {
  if (typeof json !== 'object' || json === null || Object.getPrototypeOf(json) !== Object.prototype) return undefined;
  let fields = 0;
  for (const name in json) {
    switch (name) {
      case 'id':
      case 'type':
      case 'source':
      case 'timestamp':
      case 'key':
      case 'receivedAt':
      case 'data':
        fields++;
        break;
      default:
        return undefined;
    }
  }
  const e = json as Record<keyof StampedEvent, unknown>;
  const ok =
    isBounded(e.id, MAX_LENGTH.id) &&
    NAME_CHARS.test(e.id) &&
    isBounded(e.type, MAX_LENGTH.type) &&
    TYPE_CHARS.test(e.type) &&
    (e.source === undefined ? fields === 6 : fields === 7 && isBounded(e.source, MAX_LENGTH.source)) &&
    isCanonicalTime(e.timestamp) &&
    isBounded(e.key, MAX_LENGTH.key) &&
    isCanonicalTime(e.receivedAt) &&
    isJsonObject(e.data);
  return ok ? (json as StampedEvent) : undefined;
}
