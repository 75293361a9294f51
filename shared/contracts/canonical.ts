import { MAX_LENGTH, NAME_CHARS, TYPE_CHARS } from './fields.ts';
import { isJsonObject, isJsonObjectAt, stringProblem } from './json.ts';
import type { EventEnvelope } from './envelope.ts';
import type { StampedEvent } from './stamped.ts';
import { isCanonicalTime } from './timestamp.ts';

const isBounded = (value: unknown, max: number): value is string => typeof value === 'string' && value.length <= max;
// For the free-text fields (source, key); id and type are held to NAME_CHARS / TYPE_CHARS, which already exclude
// everything stringProblem refuses.
const isStorable = (value: unknown, max: number): value is string => isBounded(value, max) && stringProblem(value) === undefined;

// Switches rather than Set lookups: over the 100 events of a bench:edge batch, knownFields took ~5 µs with these and
// ~20 µs with a Set of the names (Bun 1.4.5).
function isEnvelopeField(name: string): boolean {
  switch (name) {
    case 'id':
    case 'type':
    case 'source':
    case 'timestamp':
    case 'key':
    case 'data':
      return true;
    default:
      return false;
  }
}
const isStampedField = (name: string): boolean => name === 'receivedAt' || isEnvelopeField(name);

/**
 * How many fields `json` has, when it is a plain object whose fields are all `allowed` and none is undefined
 * (undefined means "absent" to the schemas, which leave the key out of their output); else -1.
 */
function knownFields(json: unknown, allowed: (name: string) => boolean): number {
  if (typeof json !== 'object' || json === null || Object.getPrototypeOf(json) !== Object.prototype) return -1;
  let fields = 0;
  for (const name in json) {
    if (!allowed(name) || (json as Record<string, unknown>)[name] === undefined) return -1;
    fields++;
  }
  return fields;
}

/**
 * `json` itself when it is already exactly what the stamped schema would output (the shape the edge writes: canonical
 * UTC timestamps, no extra fields), else undefined, and the caller runs the schema, which also says what is wrong.
 * A worker checks every event it reads, and valibot's walk was a tenth of its CPU in bench:workers; this accepts
 * nothing the schema refuses (canonical.test.ts compares the two over valid and broken events).
 */
export function canonicalStamped(json: unknown): StampedEvent | undefined {
  const fields = knownFields(json, isStampedField);
  if (fields < 0) return undefined;
  const e = json as Record<keyof StampedEvent, unknown>;
  const ok =
    isBounded(e.id, MAX_LENGTH.id) &&
    NAME_CHARS.test(e.id) &&
    isBounded(e.type, MAX_LENGTH.type) &&
    TYPE_CHARS.test(e.type) &&
    (e.source === undefined ? fields === 6 : fields === 7 && isStorable(e.source, MAX_LENGTH.source)) &&
    isCanonicalTime(e.timestamp) &&
    isStorable(e.key, MAX_LENGTH.key) &&
    isCanonicalTime(e.receivedAt) &&
    isJsonObject(e.data);
  return ok ? (json as StampedEvent) : undefined;
}

/**
 * The edge's counterpart: `json` itself when the envelope schema would accept it and output the same fields (string
 * fields within their limits, no timestamp or a canonical one, a JSON object as data), else undefined, and the caller
 * runs the schema, which also normalises timestamps, fills in missing data and names what is wrong. Skipping valibot
 * saved ~2 of the edge's ~40 µs per single-event request (two edges side by side under load, CPU from /proc);
 * canonical.test.ts holds the two to the same answers. `storable`: `json` was parsed from text storableText accepted
 * (shared/contracts/json.ts), so its strings and keys need no test of their characters.
 */
export function canonicalEnvelope(json: unknown, storable = false): EventEnvelope | undefined {
  if (knownFields(json, isEnvelopeField) < 0) return undefined;
  const e = json as Record<keyof EventEnvelope, unknown>;
  const text = storable ? isBounded : isStorable;
  const ok =
    (e.id === undefined || (isBounded(e.id, MAX_LENGTH.id) && NAME_CHARS.test(e.id))) &&
    isBounded(e.type, MAX_LENGTH.type) &&
    TYPE_CHARS.test(e.type) &&
    (e.source === undefined || text(e.source, MAX_LENGTH.source)) &&
    (e.timestamp === undefined || isCanonicalTime(e.timestamp)) &&
    (e.key === undefined || text(e.key, MAX_LENGTH.key)) &&
    isJsonObjectAt(e.data, 1, storable);
  return ok ? (json as EventEnvelope) : undefined;
}
