import { describe, expect, test } from 'bun:test';
import { ISSUE_CODES, type IssueCode } from './codes.ts';
import { MAX_DEPTH } from './json.ts';
import { parseEvent, parseIngest, type EventKind } from './parse.ts';
import { decodeEvent } from './stamped.ts';

const event = (input: unknown) => () => parseEvent('event', input);
const as = (kind: EventKind, input: unknown) => () => parseEvent(kind, input);
const nested = (levels: number): unknown => (levels === 0 ? 1 : { a: nested(levels - 1) });
const order = { order_id: 'o-1', region: 'eu', category: 'books' };

// [what the client did wrong, the code it must get, the path it must point at, the call]
const cases: Array<[string, IssueCode, string, () => { readonly ok: boolean }]> = [
  ['sends an array as the event', 'not_an_object', '', event([{ type: 't' }])],
  ['sends null as the event', 'not_an_object', '', event(null)],
  ['sends a string as a sensor reading', 'not_an_object', '', as('sensor', 'temp=21')],
  ['sends bytes that are not UTF-8 JSON', 'invalid_json', '', () => decodeEvent(new Uint8Array([0xff, 0x00, 0x7b]))],
  ['omits the event type', 'missing_field', 'type', event({ data: {} })],
  ['omits order_id from an order', 'missing_field', 'order_id', as('order', { region: 'eu', category: 'books' })],
  ['omits the sensor value', 'missing_field', 'value', as('sensor', { sensor_id: 's1' })],
  ['omits data from an ingest item', 'missing_field', 'data', as('ingest_item', { event_type: 't', source: 's' })],
  ['omits events from an ingest body', 'missing_field', 'events', () => parseIngest({})],
  ['passes an undefined type from JS', 'missing_field', 'type', event({ type: undefined })],
  ['adds a top-level field', 'unknown_field', 'amount', event({ type: 't', amount: 3 })],
  ['misspells type, which is also then missing', 'unknown_field', 'tpye', event({ tpye: 't' })],
  ['adds a field to a user event', 'unknown_field', 'session', as('user_event', { user_id: 'u', event_name: 'e', session: 1 })],
  ['sends a numeric type', 'invalid_type', 'type', event({ type: 42 })],
  ['sends data as an array', 'invalid_type', 'data', event({ type: 't', data: [1] })],
  ['sends data as null', 'invalid_type', 'data', event({ type: 't', data: null })],
  ['puts a function inside data from JS', 'invalid_type', 'data.items.0.f', event({ type: 't', data: { items: [{ f: () => 1 }] } })],
  ['puts a Date inside data from JS', 'invalid_type', 'data.at', event({ type: 't', data: { at: new Date(0) } })],
  ['sends a boolean order_id', 'invalid_type', 'order_id', as('order', { ...order, order_id: true })],
  ['sends the sensor value as a string', 'invalid_type', 'value', as('sensor', { sensor_id: 's1', value: '21.5' })],
  ['sends metadata as a string', 'invalid_type', 'metadata', as('user_event', { user_id: 'u', event_name: 'e', metadata: 'x' })],
  ['sends events as an object', 'invalid_type', 'events', () => parseIngest({ events: {} })],
  ['uses a slash in the type', 'invalid_value', 'type', event({ type: 'order/created' })],
  ['sends an empty type', 'invalid_value', 'type', event({ type: '' })],
  ['uses a slash in the id', 'invalid_value', 'id', event({ type: 't', id: 'a/b' })],
  ['sends a fractional user_id', 'invalid_value', 'user_id', as('user_event', { user_id: 1.5, event_name: 'e' })],
  ['sends an empty order_id', 'invalid_value', 'order_id', as('order', { ...order, order_id: '' })],
  ['puts NaN in data from JS', 'invalid_value', 'data.amount', event({ type: 't', data: { amount: Number.NaN } })],
  ['puts Infinity in an order amount from JS', 'invalid_value', 'amount', as('order', { ...order, amount: Infinity })],
  ['sends a 129-character type', 'too_long', 'type', event({ type: 'x'.repeat(129) })],
  ['sends a 129-character id', 'too_long', 'id', event({ type: 't', id: 'x'.repeat(129) })],
  ['sends a 257-character key', 'too_long', 'key', event({ type: 't', key: 'k'.repeat(257) })],
  ['sends a 129-character source', 'too_long', 'source', as('api_event', { event_type: 't', source: 's'.repeat(129) })],
  ['nests data too deeply', 'too_deep', `data${'.a'.repeat(MAX_DEPTH)}`, event({ type: 't', data: nested(MAX_DEPTH + 1) })],
  ['puts U+0000 in a data string', 'invalid_string', 'data.note', event({ type: 't', data: { note: 'a\u0000b' } })],
  ['puts a lone surrogate deep in data', 'invalid_string', 'data.items.1.name', event({ type: 't', data: { items: [{ name: 'ok' }, { name: '\ud800' }] } })],
  ['puts U+0000 in the source', 'invalid_string', 'source', event({ type: 't', source: 'web\u0000' })],
  ['puts a lone low surrogate in the key', 'invalid_string', 'key', event({ type: 't', key: '\udc00user' })],
  ['puts U+0000 in an order region', 'invalid_string', 'region', as('order', { ...order, region: 'eu\u0000' })],
  ['puts a lone surrogate in a user_id', 'invalid_string', 'user_id', as('user_event', { user_id: 'u\ud83d', event_name: 'e' })],
  ['uses an empty data key', 'invalid_field_name', 'data.', event({ type: 't', data: { '': 1 } })],
  ['uses a whitespace-only data key', 'invalid_field_name', 'data.a. ', event({ type: 't', data: { a: { ' ': 1 } } })],
  ['uses a data key of only dots', 'invalid_field_name', 'data...', event({ type: 't', data: { '..': 1 } })],
  ['uses a data key that starts with a dot', 'invalid_field_name', 'data..a', event({ type: 't', data: { '.a': 1 } })],
  ['uses a data key that ends with a dot', 'invalid_field_name', 'data.list.0.a.', event({ type: 't', data: { list: [{ 'a.': 1 }] } })],
  ['uses a data key holding two dots in a row', 'invalid_field_name', 'data.a..b', event({ type: 't', data: { 'a..b': 1 } })],
  ['uses a data key holding U+0000', 'invalid_field_name', 'data.a\u0000', event({ type: 't', data: { 'a\u0000': 1 } })],
  ['uses a data key holding a lone surrogate', 'invalid_field_name', 'data.\ud800', event({ type: 't', data: { '\ud800': 1 } })],
  ['uses an empty key in a sensor reading', 'invalid_field_name', '', as('sensor', { sensor_id: 's', value: 1, '': 2 })],
  ['sends an unparseable timestamp', 'invalid_timestamp', 'timestamp', event({ type: 't', timestamp: 'last tuesday' })],
  ['sends an impossible sensor time', 'invalid_timestamp', 'timestamp', as('sensor', { sensor_id: 's', value: 1, timestamp: '2024-02-30' })],
];

describe('bad input is reported with a stable code and the path of the offending field', () => {
  test.each(cases)('a client that %s gets %s at %j', (_, code, path, run) => {
    expect(run()).toMatchObject({ ok: false, code, path });
  });

  test('every published code is produced by at least one input above', () => {
    const produced = new Set(cases.map(([, code]) => code));
    expect(ISSUE_CODES.filter((code) => !produced.has(code))).toEqual([]);
  });

  test('messages name the field so a human can act on them without the code', () => {
    const result = parseEvent('event', { type: 't', data: { amount: Number.NaN } });
    expect(result.ok ? '' : result.message).toBe('data.amount: must be a finite number');
  });

  test('strings and keys every store keeps are accepted: emoji, right-to-left text, inner dots and spaces, escaped-looking text', () => {
    const data = { note: '😀 \u202eשלום', 'a.b': 1, ' padded ': 2, 'x\u200by': 3, text: '\\u0000', '😀': ['\ud83d\ude00'] };
    expect(parseEvent('event', { type: 't', source: 'wéb 😀', key: 'κλειδί', data })).toMatchObject({ ok: true, event: { data } });
  });

  test('data nested exactly to the limit is accepted', () => {
    expect(parseEvent('event', { type: 't', data: nested(MAX_DEPTH) }).ok).toBe(true);
  });

  test('data nested far beyond the call stack is refused instead of crashing the parser', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = { a: deep };
    expect(parseEvent('event', { type: 't', data: deep })).toMatchObject({ ok: false, code: 'too_deep' });
  });
});
