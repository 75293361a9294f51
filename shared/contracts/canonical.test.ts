import { describe, expect, test } from 'bun:test';
import * as v from 'valibot';
import { canonicalEnvelope, canonicalStamped } from './canonical.ts';
import { fromIssues } from './codes.ts';
import { storableText } from './json.ts';
import { envelope, envelopeSchema } from './envelope.ts';
import { parseEvent } from './parse.ts';
import { stampedSchema, stampEvent } from './stamped.ts';

const NOW = Date.UTC(2025, 2, 10, 8, 0, 1, 456);
const edgeEvent = stampEvent({ type: 'order.created', source: 'checkout', key: 'order-1', data: { amount: 10, items: [{ sku: 'a' }] } }, { now: NOW, newId: () => 'evt-1' });
const wire = (event: object): unknown => JSON.parse(JSON.stringify(event));
const { source: _source, ...sourceless } = edgeEvent;
const { key: _key, ...keyless } = edgeEvent;

/** Valid events the edge writes, and events one change away from them: valid in another form, or broken. */
const cases: Array<[string, unknown]> = [
  ['an event the edge stamped', wire(edgeEvent)],
  ['an event without a source', wire(sourceless)],
  ['Segment-style type with inner spaces', wire({ ...edgeEvent, type: 'Order Completed' })],
  ['a 128-character id', wire({ ...edgeEvent, id: 'a'.repeat(128) })],
  ['a 129-character id', wire({ ...edgeEvent, id: 'a'.repeat(129) })],
  ['an empty id', wire({ ...edgeEvent, id: '' })],
  ['an id with a slash', wire({ ...edgeEvent, id: 'a/b' })],
  ['a numeric id', wire({ ...edgeEvent, id: 7 })],
  ['a type with a double space', wire({ ...edgeEvent, type: 'a  b' })],
  ['a type with a trailing space', wire({ ...edgeEvent, type: 'a ' })],
  ['an empty source', wire({ ...edgeEvent, source: '' })],
  ['a null source', wire({ ...edgeEvent, source: null })],
  ['a 129-character source', wire({ ...edgeEvent, source: 's'.repeat(129) })],
  ['a 256-character key', wire({ ...edgeEvent, key: 'k'.repeat(256) })],
  ['a 257-character key', wire({ ...edgeEvent, key: 'k'.repeat(257) })],
  ['an empty key', wire({ ...edgeEvent, key: '' })],
  ['a missing key', wire(keyless)],
  ['a timestamp with an offset', wire({ ...edgeEvent, timestamp: '2025-03-10T09:00:00.000+01:00' })],
  ['a timestamp without milliseconds', wire({ ...edgeEvent, timestamp: '2025-03-10T08:00:00Z' })],
  ['a timestamp as epoch milliseconds', wire({ ...edgeEvent, timestamp: NOW })],
  ['a canonical-looking timestamp on 31 February', wire({ ...edgeEvent, timestamp: '2025-02-31T08:00:00.000Z' })],
  ['a canonical-looking timestamp at hour 24', wire({ ...edgeEvent, receivedAt: '2025-03-10T24:00:00.000Z' })],
  ['a receivedAt that is not a time', wire({ ...edgeEvent, receivedAt: 'soon' })],
  ['array data', wire({ ...edgeEvent, data: [] })],
  ['null data', wire({ ...edgeEvent, data: null })],
  ['data nested past the depth cap', wire({ ...edgeEvent, data: JSON.parse(`${'{"a":'.repeat(40)}1${'}'.repeat(40)}`) })],
  ['a source holding U+0000', wire({ ...edgeEvent, source: 'web\u0000' })],
  ['a key holding a lone surrogate', wire({ ...edgeEvent, key: 'k\ud800' })],
  ['a key holding an emoji', wire({ ...edgeEvent, key: 'k😀' })],
  ['data holding a lone surrogate', wire({ ...edgeEvent, data: { s: '\udfff' } })],
  ['data holding an empty key', wire({ ...edgeEvent, data: { '': 1 } })],
  ['data holding a key that ends with a dot', wire({ ...edgeEvent, data: { n: { 'a.': 1 } } })],
  ['an extra field', wire({ ...edgeEvent, extra: 1 })],
  ['a __proto__ field', JSON.parse(`{"__proto__":{},${JSON.stringify(edgeEvent).slice(1)}`)],
  ['an array', [wire(edgeEvent)]],
  ['null', null],
  ['an object made with a class', Object.assign(new (class Event {})(), edgeEvent)],
];

/** The fast path returns undefined for every case the schema refuses (more than `atLeast` of them, so it is tested). */
function expectRefusedLeftToSchema(all: Array<[string, unknown]>, schema: v.GenericSchema, fast: (json: unknown) => unknown, atLeast: number): void {
  const refused = all.filter(([, json]) => !v.safeParse(schema, json).success);
  expect(refused.length).toBeGreaterThan(atLeast);
  for (const [, json] of refused) expect(fast(json)).toBeUndefined();
}

describe('the stamped fast path', () => {
  test.each(cases)('agrees with the stamped schema on %s', (_, json) => {
    const fast = canonicalStamped(json);
    const schema = v.safeParse(stampedSchema, json);
    // Never accepts what the schema refuses, and hands on what the schema would output.
    if (fast !== undefined) expect(schema).toMatchObject({ success: true, output: fast });
  });

  test('takes what the edge writes, with or without a source, as it is', () => {
    for (const json of [wire(edgeEvent), wire(sourceless)]) expect(canonicalStamped(json)).toBe(json as never);
  });

  test('leaves every refused event to the schema, which names the problem', () => {
    expectRefusedLeftToSchema(cases, stampedSchema, canonicalStamped, 15);
  });
});

const clientEvent = { id: 'evt-1', type: 'page.view', source: 'web', timestamp: '2025-03-10T08:00:01.456Z', key: 'user-7', data: { page: '/pricing', n: [1, { deep: true }] } };
const minimal = { type: 'page.view', data: {} };

/** What clients send to `POST /v1/events`: valid as it is, valid once the schema fills in or rewrites, or broken. */
const clientCases: Array<[string, unknown]> = [
  ['an event with every field', wire(clientEvent)],
  ['an event with a type and data only', wire(minimal)],
  ['Segment-style type with inner spaces', wire({ ...minimal, type: 'Order Completed' })],
  ['an empty source and an empty key', wire({ ...minimal, source: '', key: '' })],
  ['no data (the schema fills in {})', wire({ type: 'page.view' })],
  ['a timestamp with an offset (the schema rewrites it)', wire({ ...clientEvent, timestamp: '2025-03-10T09:00:01.456+01:00' })],
  ['a timestamp as epoch milliseconds', wire({ ...clientEvent, timestamp: NOW })],
  ['a timestamp on 31 February', wire({ ...clientEvent, timestamp: '2025-02-31T08:00:00.000Z' })],
  ['a timestamp that is not a time', wire({ ...clientEvent, timestamp: 'soon' })],
  ['no type', wire({ data: {} })],
  ['an empty type', wire({ ...minimal, type: '' })],
  ['a type with a double space', wire({ ...minimal, type: 'a  b' })],
  ['a 129-character type', wire({ ...minimal, type: 't'.repeat(129) })],
  ['a numeric type', wire({ ...minimal, type: 7 })],
  ['an empty id', wire({ ...clientEvent, id: '' })],
  ['an id with a slash', wire({ ...clientEvent, id: 'a/b' })],
  ['a 129-character id', wire({ ...clientEvent, id: 'a'.repeat(129) })],
  ['a numeric id', wire({ ...clientEvent, id: 7 })],
  ['a null source', wire({ ...clientEvent, source: null })],
  ['a 129-character source', wire({ ...clientEvent, source: 's'.repeat(129) })],
  ['a 257-character key', wire({ ...clientEvent, key: 'k'.repeat(257) })],
  ['a numeric key', wire({ ...clientEvent, key: 12 })],
  ['array data', wire({ ...minimal, data: [] })],
  ['null data', wire({ ...minimal, data: null })],
  ['string data', wire({ ...minimal, data: 'x' })],
  ['data nested past the depth cap', { ...minimal, data: JSON.parse(`${'{"a":'.repeat(40)}1${'}'.repeat(40)}`) }],
  ['a source holding U+0000', wire({ ...clientEvent, source: '\u0000' })],
  ['a key holding a lone surrogate', wire({ ...clientEvent, key: '\ud83d' })],
  ['a source and key holding emoji and right-to-left text', wire({ ...clientEvent, source: '😀', key: '\u202eשלום' })],
  ['data holding U+0000 in a nested string', wire({ ...clientEvent, data: { a: [{ b: 'x\u0000' }] } })],
  ['data holding a whitespace-only key', wire({ ...clientEvent, data: { '\t': 1 } })],
  ['data holding a key of only dots', wire({ ...clientEvent, data: { '...': 1 } })],
  ['data holding NaN (only from JS callers)', { ...minimal, data: { n: Number.NaN } }],
  ['an id set to undefined (only from JS callers)', { ...minimal, id: undefined }],
  ['an extra field', wire({ ...clientEvent, extra: 1 })],
  ['a __proto__ field', JSON.parse(`{"__proto__":{},${JSON.stringify(minimal).slice(1)}`)],
  ['an array', [wire(clientEvent)]],
  ['null', null],
  ['an object made with a class', Object.assign(new (class Event {})(), minimal)],
];

describe('the envelope fast path', () => {
  test.each(clientCases)('gives the same answer as the schema for %s', (_, json) => {
    const schema = v.safeParse(envelopeSchema, json);
    expect(parseEvent('event', json)).toEqual(schema.success ? { ok: true, event: envelope(schema.output) } : fromIssues(schema.issues));
    // Never accepts what the schema refuses, and hands on exactly the fields the schema would output.
    const fast = canonicalEnvelope(json);
    if (fast !== undefined) expect(schema.success && envelope(schema.output)).toEqual(fast);
  });

  test.each(clientCases)('gives the same answer as the schema for %s read from text scanned as storable', (_, json) => {
    const text = JSON.stringify(json);
    const parsed: unknown = JSON.parse(text);
    const schema = v.safeParse(envelopeSchema, parsed);
    expect(parseEvent('event', parsed, storableText(text))).toEqual(schema.success ? { ok: true, event: envelope(schema.output) } : fromIssues(schema.issues));
  });

  test("takes events already in the envelope's shape as they are", () => {
    for (const json of [wire(clientEvent), wire(minimal)]) expect(canonicalEnvelope(json)).toBe(json as never);
  });

  test('leaves every refused event to the schema, which names the problem', () => {
    expectRefusedLeftToSchema(clientCases, envelopeSchema, canonicalEnvelope, 20);
  });
});
