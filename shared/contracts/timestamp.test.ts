import { describe, expect, test } from 'bun:test';
import { parseEvent } from './parse.ts';
import { isCanonicalIso, toIsoTimestamp } from './timestamp.ts';
import { parsePosthog } from './posthog.ts';
import { parseSegment } from './segment.ts';

const timestampOf = (timestamp: unknown) => {
  const result = parseEvent('event', { type: 't', timestamp });
  return result.ok ? result.event.timestamp : result.code;
};

describe('event timestamps are stored as canonical UTC ISO strings', () => {
  test.each([
    ['a UTC date-time', '2024-03-05T06:07:08Z', '2024-03-05T06:07:08.000Z'],
    ['a lower-case t and z', '2024-03-05t06:07:08z', '2024-03-05T06:07:08.000Z'],
    ['milliseconds', '2024-03-05T06:07:08.123Z', '2024-03-05T06:07:08.123Z'],
    ['microseconds, which are dropped', '2024-03-05T06:07:08.123999Z', '2024-03-05T06:07:08.123Z'],
    ['a comma before the fraction', '2024-03-05T06:07:08,5Z', '2024-03-05T06:07:08.500Z'],
    ['a positive offset', '2024-03-05T06:07:08+02:00', '2024-03-05T04:07:08.000Z'],
    ['a negative offset without colon', '2024-03-05T06:07:08-0530', '2024-03-05T11:37:08.000Z'],
    ['an hour-only offset', '2024-03-05T06:07:08+01', '2024-03-05T05:07:08.000Z'],
    ['an offset that crosses midnight', '2024-03-05T23:30:00-01:00', '2024-03-06T00:30:00.000Z'],
    ['no offset, read as UTC whatever the server zone', '2024-03-05T06:07:08', '2024-03-05T06:07:08.000Z'],
    ['a space instead of T', '2024-03-05 06:07:08.250', '2024-03-05T06:07:08.250Z'],
    ['minutes without seconds', '2024-03-05T06:07Z', '2024-03-05T06:07:00.000Z'],
    ['a date only, read as midnight UTC', '2024-03-05', '2024-03-05T00:00:00.000Z'],
    ['a leap day', '2024-02-29T12:00:00Z', '2024-02-29T12:00:00.000Z'],
    ['a two-digit year, which is not moved into the 1900s', '0042-01-01T00:00:00Z', '0042-01-01T00:00:00.000Z'],
    ['epoch millis', 1_700_000_000_123, '2023-11-14T22:13:20.123Z'],
    ['epoch zero', 0, '1970-01-01T00:00:00.000Z'],
    ['negative epoch millis', -86_400_000, '1969-12-31T00:00:00.000Z'],
    ['the last millisecond of year 9999', 253_402_300_799_999, '9999-12-31T23:59:59.999Z'],
  ])('accepts %s', (_, input, expected) => {
    expect(timestampOf(input)).toBe(expected);
  });

  test.each([
    ['words', 'yesterday'],
    ['an empty string', ''],
    ['a day that does not exist', '2023-02-29'],
    ['month 13', '2024-13-01'],
    ['hour 24', '2024-03-05T24:00:00Z'],
    ['a 60th second', '2024-03-05T06:07:60Z'],
    ['an offset of 24 hours', '2024-03-05T06:07:08+24:00'],
    ['an RFC 2822 date', 'Tue, 05 Mar 2024 06:07:08 GMT'],
    ['epoch millis written as a string', '1700000000000'],
    ['a time past year 9999', 253_402_300_800_000],
    ['a time before year 0', '0000-01-01T00:00:00+01:00'],
    ['a time in year 0, which Postgres cannot store', '0000-12-31T23:59:59.999Z'],
    ['epoch millis in year 0', -62_135_596_800_001],
  ])('refuses %s as invalid_timestamp', (_, input) => {
    expect(timestampOf(input)).toBe('invalid_timestamp');
  });

  test('a boolean timestamp is the wrong type, not an unparseable time', () => {
    expect(timestampOf(true)).toBe('invalid_type');
  });

  test('an event without a timestamp leaves it for the edge to fill in', () => {
    const result = parseEvent('event', { type: 't' });
    expect(result.ok && result.event).not.toHaveProperty('timestamp');
  });
});

describe('an SDK message stores its timestamp as the edge stores its own events', () => {
  const segmentTimestampOf = (timestamp: unknown) => {
    const result = parseSegment({ type: 'track', event: 'Order Completed', userId: 'u-1', timestamp }, { source: 'segment', storable: true });
    return result.ok ? result.event.timestamp : result.code;
  };
  const posthogTimestampOf = (timestamp: unknown) => {
    const result = parsePosthog({ event: '$pageview', distinct_id: 'd-1', timestamp }, 'posthog', true);
    return result.ok ? result.event.timestamp : result.code;
  };

  test.each([
    '2024-03-05T06:07:08.123Z',
    '0001-01-01T00:00:00.000Z',
    '9999-12-31T23:59:59.999Z',
    '2024-02-29T12:00:00.000Z',
    '2000-02-29T12:00:00.000Z',
    '1900-02-29T12:00:00.000Z',
    '2023-02-29T12:00:00.000Z',
    '2024-04-31T12:00:00.000Z',
    '2024-03-05T24:00:00.000Z',
    '2024-03-05T06:60:08.123Z',
    '2024-03-05T06:07:60.123Z',
    '2024-00-05T06:07:08.123Z',
    '2024-13-05T06:07:08.123Z',
    '2024-03-00T06:07:08.123Z',
    '0000-12-31T23:59:59.999Z',
    '2024-03-05t06:07:08.123z',
    '2024-03-05T06:07:08.12xZ',
    '2024-03-05T06:07:08.1234Z',
    '2024-03-05T06:07:08.123+00:00',
    '+02024-03-05T06:07:08.123Z',
  ])('%s', (input) => {
    expect(segmentTimestampOf(input)).toBe(timestampOf(input));
    expect(posthogTimestampOf(input)).toBe(timestampOf(input));
  });

  test('a text counts as canonical exactly when formatting it again gives it back', () => {
    const base = ['2024-03-05T06:07:08.123Z', '2024-02-29T23:59:59.999Z', '1900-02-28T00:00:00.000Z', '0001-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z'];
    const digitsAndMarks = '0123456789-:.TZtz+ ';
    // Every one-character change of a few canonical texts, so each position and each separator is tried.
    const variants = base.flatMap((t) => [...t].flatMap((_, i) => [...digitsAndMarks].map((c) => t.slice(0, i) + c + t.slice(i + 1))));
    for (const text of [...base, ...variants, '2024-03-05T06:07:08Z', '2024-03-05T06:07:08.123+00:00', '']) {
      expect({ text, canonical: isCanonicalIso(text) }).toEqual({ text, canonical: toIsoTimestamp(text) === text });
    }
  });

  test('each of a batch of distinct timestamps is kept as sent', () => {
    const times = Array.from({ length: 5 }, (_, i) => new Date(Date.UTC(2024, 2, 5, 6, 7, 8, i * 37)).toISOString());
    expect(times.map(segmentTimestampOf)).toEqual(times);
    expect(times.map(posthogTimestampOf)).toEqual(times);
  });
});
