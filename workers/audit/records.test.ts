import { describe, expect, test } from 'bun:test';
import type { ConsumedMessage } from '../../shared/kafka/index.ts';
import { auditRecords } from './records.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

/** A record as the consumer hands it over: the value is deliberately not JSON, as the audit must never read it. */
function record(offset: number, headers: Array<[string, string | null]>, timestamp = 1_700_000_000_000 + offset): ConsumedMessage {
  return {
    topic: 'events',
    partition: offset % 3,
    offset: BigInt(offset),
    key: null,
    value: bytes('not json {'),
    headers: headers.map(([n, v]) => [n, v === null ? null : bytes(v)]),
    timestamp,
    timestampType: 'create',
  };
}

describe('auditRecords', () => {
  test('takes id, source, receive time and position from each record, in order', () => {
    const out = auditRecords([
      record(10, [['type', 'page.view'], ['source', 'web'], ['id', 'a-1']]),
      record(11, [['id', 'a-2'], ['type', 'signup']]),
    ]);
    expect(out).toEqual({ ids: ['a-1', 'a-2'], sources: ['web', ''], times: [1_700_000_000_010, 1_700_000_000_011], partitions: [1, 2], offsets: [10n, 11n] });
  });

  test('a repeated header counts by its first value, and a null or missing one reads as empty', () => {
    const out = auditRecords([record(1, [['id', 'first'], ['id', 'second'], ['source', null]]), record(2, [['source', 'web']])]);
    expect(out.ids).toEqual(['first', '']);
    expect(out.sources).toEqual(['', 'web']);
  });

  test('keeps only the records of the asked source and type', () => {
    const all = [
      record(1, [['id', 'a'], ['source', 'web'], ['type', 'page.view']]),
      record(2, [['id', 'b'], ['source', 'app'], ['type', 'page.view']]),
      record(3, [['id', 'c'], ['source', 'web'], ['type', 'signup']]),
      record(4, [['id', 'd'], ['type', 'signup']]),
    ];
    expect(auditRecords(all, { source: 'web' }).ids).toEqual(['a', 'c']);
    expect(auditRecords(all, { type: 'signup' }).ids).toEqual(['c', 'd']);
    expect(auditRecords(all, { source: 'web', type: 'signup' }).ids).toEqual(['c']);
    expect(auditRecords(all, { source: '' }).ids).toEqual(['d']);
  });
});
