import { describe, expect, test } from 'bun:test';
import { decode } from './decode.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('the decode step', () => {
  test('JSON bytes become the parsed value', () => {
    expect(decode(bytes('{"id":"a","n":[1,2]}'))).toEqual({ ok: true, value: { id: 'a', n: [1, 2] }, text: '{"id":"a","n":[1,2]}' });
  });

  test('bytes that are not JSON are dead-lettered as invalid_json with the parser message', () => {
    const result = decode(bytes('{"id": '));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.outcome).toMatchObject({ type: 'dlq', reason: 'invalid_json' });
      expect(result.outcome.type === 'dlq' && result.outcome.message).toStartWith('is not UTF-8 JSON');
    }
  });

  test('bytes that are not UTF-8 are dead-lettered instead of being read with replacement characters', () => {
    const result = decode(new Uint8Array([0x22, 0xff, 0xfe, 0x22]));
    expect(result.ok ? 'ok' : result.outcome.type === 'dlq' && result.outcome.reason).toBe('invalid_json');
  });

  test('a message without a value (tombstone) or with an empty one is dead-lettered, not skipped', () => {
    for (const value of [null, new Uint8Array(0)]) {
      const result = decode(value);
      expect(result.ok ? undefined : result.outcome).toEqual({ type: 'dlq', reason: 'invalid_json', message: 'the message has no value' });
    }
  });
});
