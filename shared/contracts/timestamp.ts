import * as v from 'valibot';

/**
 * Years 0001-9999 only: outside them toISOString() writes six-digit years (`+010000-…`), which the ISO pattern below
 * would then refuse when the stamped event is read back from Kafka; and Postgres has no year 0 (it counts 1 BC),
 * so its timestamptz refused `0000-12-31T23:59:59.999Z` as out of range after the edge had accepted the event.
 */
export const MIN_TIME_MS = -62_135_596_800_000; // 0001-01-01T00:00:00.000Z
export const MAX_TIME_MS = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

// Date, optionally time, optionally offset. `T` or a space (Python's str(datetime)), `.` or `,` before fractions.
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?)?$/;

const isLeap = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
const DAYS_IN = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const daysIn = (year: number, month: number) => (month === 2 && isLeap(year) ? 29 : (DAYS_IN[month - 1] ?? 0));

/**
 * Parses an ISO-8601 date or date-time into epoch millis, or undefined. Parsed by hand rather than with Date.parse,
 * which reads a date-time without an offset in the server's local zone; here a missing offset means UTC, so the
 * result does not depend on where the edge runs. Digits past milliseconds are dropped.
 */
export function parseIsoMillis(text: string): number | undefined {
  const m = ISO.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [number, number, number, number, number, number];
  const millis = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  const offsetHours = Number(m[10] ?? 0);
  const offsetMinutes = Number(m[11] ?? 0);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return undefined;
  const date = new Date(0);
  // setUTCFullYear, because Date.UTC maps years 0-99 onto 1900-1999.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  const offsetMs = (offsetHours * 60 + offsetMinutes) * 60_000 * (m[9] === '-' ? -1 : 1);
  return date.getTime() - offsetMs;
}

// The last two strings normalised and their results. The edge stamps a whole batch in one millisecond and most
// clients send no timestamp, so a worker's batch repeats a few receivedAt/timestamp strings thousands of times;
// parsing each again was ~10% of a worker's CPU in bench:workers.
const memo: Array<[string, string | undefined]> = [['', undefined], ['', undefined]];
let memoNext = 0;

/** Normalises an ISO-8601 string or epoch millis to `YYYY-MM-DDTHH:mm:ss.sssZ`, or undefined if it is neither. */
export function toIsoTimestamp(input: string | number): string | undefined {
  if (typeof input === 'number') return isoOf(input);
  if (memo[0]![0] === input) return memo[0]![1];
  if (memo[1]![0] === input) return memo[1]![1];
  const iso = isoOf(parseIsoMillis(input));
  memo[memoNext] = [input, iso];
  memoNext ^= 1;
  return iso;
}

function isoOf(ms: number | undefined): string | undefined {
  if (ms === undefined || !Number.isFinite(ms) || ms < MIN_TIME_MS || ms > MAX_TIME_MS) return undefined;
  return new Date(ms).toISOString();
}

// Two ASCII digits at i as a number; anything else gives a value outside 0-99.
const twoDigits = (text: string, i: number) => {
  const hi = text.charCodeAt(i) - 48;
  const lo = text.charCodeAt(i + 1) - 48;
  return hi >= 0 && hi <= 9 && lo >= 0 && lo <= 9 ? hi * 10 + lo : -1;
};
// The last two canonical texts: a worker's records alternate a batch's timestamp and receivedAt.
const canonicalSeen = ['', ''];
let canonicalNext = 0;

/**
 * Whether toIsoTimestamp(text) === text, that is `text` is already `YYYY-MM-DDTHH:mm:ss.sssZ` for a real instant of
 * years 0001-9999, read char by char. The SDKs stamp each message when it is made, so the timestamps of a batch
 * differ and toIsoTimestamp's memo rarely hits: parsing and formatting each one cost ~1 µs per event, in the Segment
 * route's JS and in mapping PostHog events alike (in-process A/B, batches of distinct timestamps). The envelope's and
 * the stamped record's fast paths use it too; the last two canonical texts are kept for batches that repeat them.
 */
export function isCanonicalIso(text: string): boolean {
  if (text === canonicalSeen[0] || text === canonicalSeen[1]) return true;
  if (text.length !== 24 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 84 || text.charCodeAt(13) !== 58) return false;
  if (text.charCodeAt(16) !== 58 || text.charCodeAt(19) !== 46 || text.charCodeAt(23) !== 90) return false;
  const century = twoDigits(text, 0);
  const yy = twoDigits(text, 2);
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  const millis = twoDigits(text, 20);
  const last = text.charCodeAt(22) - 48;
  if (century < 0 || yy < 0 || millis < 0 || !(last >= 0 && last <= 9) || month < 1 || month > 12 || day < 1) return false;
  const year = century * 100 + yy;
  if (year < 1 || day > daysIn(year, month)) return false;
  const hour = twoDigits(text, 11);
  const minute = twoDigits(text, 14);
  const second = twoDigits(text, 17);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  canonicalSeen[canonicalNext] = text;
  canonicalNext ^= 1;
  return true;
}

/** A string already in the form the contracts store timestamps in (isCanonicalIso): the fast paths keep it as it is. */
export const isCanonicalTime = (value: unknown): value is string => typeof value === 'string' && isCanonicalIso(value);

/** Accepts an ISO-8601 string or epoch millis; outputs the canonical UTC ISO string. */
export const timestamp = v.pipe(
  v.union([v.string(), v.number()], 'must be an ISO-8601 string or epoch milliseconds'),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const iso = toIsoTimestamp(dataset.value);
    if (iso !== undefined) return iso;
    addIssue({ expected: 'invalid_timestamp', message: 'must be an ISO-8601 date-time or epoch milliseconds between years 0001 and 9999' });
    return NEVER;
  }),
  v.description('When the event happened: ISO-8601 (no offset means UTC) or epoch milliseconds; stored as a UTC ISO string.'),
);
