import { describe, expect, test } from 'bun:test';
import type { StampedEvent } from '../../shared/contracts/index.ts';
import { validate } from './validate.ts';

const stamped: StampedEvent = {
  id: '0190a5b2-7c3d-7e4f-8a1b-2c3d4e5f6a7b',
  type: 'order.created',
  source: 'checkout',
  timestamp: '2025-03-10T08:00:00.123Z',
  key: 'order-1',
  receivedAt: '2025-03-10T08:00:01.456Z',
  data: { amount: 10, items: [{ sku: 'a' }] },
};

const reasonOf = (json: unknown) => {
  const r = validate(json);
  return r.ok ? 'ok' : r.outcome;
};

describe('the validate step', () => {
  test('an event the edge stamped passes unchanged', () => {
    expect(validate(JSON.parse(JSON.stringify(stamped)))).toEqual({ ok: true, value: stamped });
  });

  test('an event missing a stamped field is a contract_violation naming the field', () => {
    const { receivedAt: _, ...unstamped } = stamped;
    expect(reasonOf(unstamped)).toEqual({ type: 'dlq', reason: 'contract_violation', message: 'missing_field: receivedAt: is required' });
  });

  test('an unknown top-level field is refused rather than silently stored', () => {
    expect(reasonOf({ ...stamped, extra: 1 })).toMatchObject({ type: 'dlq', reason: 'contract_violation', message: expect.stringMatching(/^unknown_field/) });
  });

  test('JSON that is not an object at all is a contract_violation too', () => {
    for (const json of [null, 42, 'text', [stamped]]) expect(reasonOf(json)).toMatchObject({ type: 'dlq', reason: 'contract_violation' });
  });

  test('a bad timestamp is a contract_violation with its code', () => {
    expect(reasonOf({ ...stamped, timestamp: 'yesterday' })).toMatchObject({ message: expect.stringMatching(/^invalid_timestamp/) });
  });
});
