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
    expect(headers.map(([name]) => name)).toEqual(DLQ_HEADERS.filter((h) => h !== 'truncated'));
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

  test('a value longer than maxValueBytes is cut to a prefix and the record names the original length; a short one is untouched', () => {
    const big: ConsumedMessage = { ...message, value: encoder.encode('0123456789'.repeat(10)) };
    const cut = deadLetterRecord('events.dlq', { message: big, stage: 'elasticsearch', reason: 'mapping_conflict', attempts: 1, eventId: 'e1' }, { maxValueBytes: 16 });
    expect(cut.value).toEqual(encoder.encode('0123456789012345'));
    expect(cut.key).toEqual(message.key);
    expect(readDeadLetterHeaders(consumed(cut.headers as Array<[string, string]>))).toMatchObject({
      truncated: '100',
      topic: 'events',
      partition: '3',
      offset: '42',
      event_id: 'e1',
    });
    const whole = deadLetterRecord('events.dlq', { message, stage: 'decode', reason: 'invalid_json', attempts: 1 }, { maxValueBytes: 16 });
    expect(whole.value).toBe(message.value);
    expect(readDeadLetterHeaders(consumed(whole.headers as Array<[string, string]>)).truncated).toBeUndefined();
  });

  test('unknown headers are ignored and a null header value reads as empty', () => {
    expect(readDeadLetterHeaders({ headers: [['stage', null], ['traceparent', encoder.encode('00-x')]] })).toEqual({ stage: '' });
  });
});
