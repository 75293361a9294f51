import { createHash } from 'node:crypto';
import { MAX_LENGTH, NAME_CHARS, TYPE_CHARS } from './fields.ts';

/**
 * Names the analytics SDKs send that the envelope's id and type charsets do not allow, mapped onto ones they do,
 * always the same way, so a re-sent event maps to the same id and type. The envelope's charsets stay as they are:
 * ids and types are Kafka header values, Elasticsearch ids and URL parts.
 */

export const isEventId = (value: string): boolean => value.length > 0 && value.length <= MAX_LENGTH.id && NAME_CHARS.test(value);

export const isEventType = (value: string): boolean => value.length > 0 && value.length <= MAX_LENGTH.type && TYPE_CHARS.test(value);

/**
 * A valid event id for a client's message id: the id itself when the contract allows it, else `<prefix>:` and 32
 * characters of its SHA-256 (192 bits, base64url), so the same message id always gives the same event id and the
 * stores still see a retry as one event.
 */
export function stableEventId(prefix: string, messageId: string): string {
  if (isEventId(messageId)) return messageId;
  return `${prefix}:${createHash('sha256').update(messageId).digest('base64url').slice(0, 32)}`;
}

const NOT_TYPE_CHARS = /[^A-Za-z0-9._: -]+/g;
const SPACES = /\s+/g;

// An SDK batch names a few events many times over, so the last answer is kept; '' maps to nothing.
let lastName = '';
let lastType: string | undefined;

/**
 * A valid event type for an event name: the name itself when the contract allows it, else every run of other
 * characters as `_` and inner whitespace as one space, cut to the length limit; undefined when nothing is left.
 */
export function eventTypeOf(name: string): string | undefined {
  if (name === lastName) return lastType;
  lastName = name;
  if (isEventType(name)) return (lastType = name);
  const mapped = name.replace(SPACES, ' ').trim().replace(NOT_TYPE_CHARS, '_').slice(0, MAX_LENGTH.type).trim();
  return (lastType = isEventType(mapped) ? mapped : undefined);
}
