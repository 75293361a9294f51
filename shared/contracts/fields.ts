import * as v from 'valibot';
import { isPlainObject, stringProblem } from './json.ts';

// Safe in Kafka headers, Elasticsearch ids and URLs without escaping.
export const NAME_CHARS = /^[A-Za-z0-9._:-]+$/;
const NAME_CHARS_MESSAGE = 'may only contain letters, digits and . _ : -';

/** Length caps (in UTF-16 units, as valibot's maxLength counts) shared with the stamped fast path (canonical.ts). */
export const MAX_LENGTH = { id: 128, type: 128, source: 128, key: 256 } as const;

/** Refuses what a store would refuse or alter (see stringProblem), with the code `invalid_string`. */
const storableString = v.rawCheck<string>(({ dataset, addIssue }) => {
  if (!dataset.typed) return;
  const problem = stringProblem(dataset.value);
  if (problem) addIssue({ expected: 'invalid_string', message: problem });
});

const boundedString = (max: number) =>
  v.pipe(v.string('must be a string'), v.maxLength(max, `must be at most ${max} characters`), storableString);

export const eventId = v.pipe(
  boundedString(MAX_LENGTH.id),
  v.nonEmpty('must not be empty'),
  v.regex(NAME_CHARS, NAME_CHARS_MESSAGE),
  v.description('Client-chosen event id; doubles as the idempotency key, so a retry with the same id is one event.'),
);

// Segment-style names ("Order Completed") carry inner spaces; older clients send them, so types allow them too.
export const TYPE_CHARS = /^[A-Za-z0-9._:-]+(?: [A-Za-z0-9._:-]+)*$/;

export const eventType = v.pipe(
  boundedString(MAX_LENGTH.type),
  v.nonEmpty('must not be empty'),
  v.regex(TYPE_CHARS, 'may only contain letters, digits, single inner spaces and . _ : -'),
  v.description('What happened, e.g. `order.created`.'),
);

export const eventSource = v.pipe(boundedString(MAX_LENGTH.source), v.description('The system that produced the event.'));

export const partitionKey = v.pipe(
  boundedString(MAX_LENGTH.key),
  v.description('Kafka partition key: events with the same key stay in order relative to each other.'),
);

/**
 * Ids in the older bodies (order_id, user_id, sensor_id, event_id). Integers are accepted because nothing in those
 * services required strings, and refusing numeric ids would break existing clients on the switch-over.
 */
export const legacyId = v.union(
  [v.pipe(boundedString(256), v.nonEmpty('must not be empty')), v.pipe(v.number(), v.safeInteger('must be a whole number'))],
  'must be a string or an integer',
);

const jsonObjectGuard = v.custom<Record<string, unknown>>(isPlainObject, 'must be a JSON object');

/** A strict object that also refuses arrays, which valibot's object schemas let through. */
export const strictRecord = <E extends v.ObjectEntries>(entries: E) => v.pipe(jsonObjectGuard, v.strictObject(entries));

/** As strictRecord, but fields beyond `entries` are kept rather than refused. */
export const looseRecord = <E extends v.ObjectEntries>(entries: E) => v.pipe(jsonObjectGuard, v.looseObject(entries));
