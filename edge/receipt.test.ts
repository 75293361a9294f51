import { describe, expect, test } from 'bun:test';
import { receiptText, type Receipt } from './receipt.ts';

describe('receipt text', () => {
  test('a receipt for one accepted event reads as the JSON of its fields', () => {
    const receipt: Receipt = { accepted: 1, rejected: 0, ack: 'kafka', results: [{ index: 0, status: 'accepted', id: Bun.randomUUIDv7(), partition: 4, offset: '9007199254740993' }] };
    expect(JSON.parse(receiptText(receipt))).toEqual(receipt);
    expect(receiptText(receipt)).toBe(JSON.stringify(receipt));
  });

  test('any other receipt reads as its JSON too', () => {
    const receipts: Receipt[] = [
      { accepted: 1, rejected: 0, ack: 'queued', results: [{ index: 0, status: 'accepted', id: Bun.randomUUIDv7() }] },
      { accepted: 0, rejected: 1, ack: 'kafka', results: [{ index: 0, status: 'rejected', code: 'invalid_event', path: 'type', message: 'a "quoted" message' }] },
      { accepted: 1, rejected: 0, ack: 'kafka', results: [{ index: 0, status: 'accepted', id: 'not "a" uuid', partition: 0, offset: '1' }] },
    ];
    for (const receipt of receipts) expect(receiptText(receipt)).toBe(JSON.stringify(receipt));
  });
});
