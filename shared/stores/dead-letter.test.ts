import { describe, expect, test } from 'bun:test';
import type { ConsumedMessage } from '../kafka/index.ts';
import { deadLetterRecord, DLQ_HEADERS, readDeadLetterHeaders } from './dead-letter.ts';

const encoder = new TextEncoder();
const message: ConsumedMessage = {
  topic: 'events',
  partition: 3,
  offset: 42n,
  key: encoder.encode('k-1'),
  value: encoder.encode('{"id":"e1"}'),
  headers: [],
  timestamp: 0,
  timestampType: 'create',
};

/** The record as the gateway consumes it: header values as bytes. */
const consumed = (headers: ReadonlyArray<readonly [string, string]>): Pick<ConsumedMessage, 'headers'> => ({
  headers: headers.map(([name, value]) => [name, encoder.encode(value)]),
});

describe('the dead-letter record format', () => {
  test('the record keeps the original bytes and key and carries every header, read back as written', () => {
    const record = deadLetterRecord('events.dlq', { message, stage: 'validate', reason: 'contract_violation', detail: 'bad type', attempts: 2, eventId: 'e1' });
    expect(record).toMatchObject({ topic: 'events.dlq', value: message.value, key: message.key });
    const headers = record.headers as Array<[string, string]>;
    expect(headers.map(([name]) => name)).toEqual([...DLQ_HEADERS]);
    expect(readDeadLetterHeaders(consumed(headers))).toEqual({
      stage: 'validate',
      reason: 'contract_violation',
      message: 'bad type',
      attempts: '2',
      topic: 'events',
      partition: '3',
      offset: '42',
      event_id: 'e1',
    });
  });

  test('without an event id there is no event_id header; the detail is cut at 1000 characters', () => {
    const record = deadLetterRecord('events.dlq', { message, stage: 'decode', reason: 'invalid_json', detail: 'x'.repeat(1500), attempts: 1 });
    const read = readDeadLetterHeaders(consumed(record.headers as Array<[string, string]>));
    expect(read.event_id).toBeUndefined();
    expect(read.message).toHaveLength(1000);
  });

  test('unknown headers are ignored and a null header value reads as empty', () => {
    expect(readDeadLetterHeaders({ headers: [['stage', null], ['traceparent', encoder.encode('00-x')]] })).toEqual({ stage: '' });
  });
});
