import { describe, expect, test } from 'bun:test';
import { uuidv7, uuidv7Time } from './uuid.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const nibble = (id: string, hexIndex: number) => Number.parseInt(id.replaceAll('-', '')[hexIndex] ?? '', 16);

describe('uuidv7', () => {
  test('ids are lower-case 8-4-4-4-12 hex with version 7 and the RFC variant', () => {
    for (let i = 0; i < 1000; i++) {
      const id = uuidv7();
      expect(id).toMatch(UUID);
      expect(nibble(id, 12)).toBe(7);
      expect(nibble(id, 16) >> 2).toBe(0b10);
    }
  });

  test.each([0, 1, 1_714_564_800_250, 2 ** 48 - 1])('the first 48 bits are the millisecond timestamp %d', (ms) => {
    const id = uuidv7(ms);
    expect(id.replaceAll('-', '').slice(0, 12)).toBe(ms.toString(16).padStart(12, '0'));
    expect(uuidv7Time(id)).toBe(ms);
  });

  test('ids from later milliseconds sort after earlier ones as plain strings', () => {
    const times = [1_000, 1_001, 65_536, 1_714_564_800_000, 1_714_564_800_001, 2 ** 44];
    const ids = times.map((ms) => uuidv7(ms));
    expect([...ids].reverse().sort()).toEqual(ids);
  });

  test('ids made in the same millisecond sort in the order they were made', () => {
    const ids = Array.from({ length: 2000 }, () => uuidv7(1_714_564_900_000));
    expect([...ids].sort()).toEqual(ids);
  });

  test('ids do not repeat', () => {
    const ids = Array.from({ length: 20_000 }, () => uuidv7());
    expect(new Set(ids).size).toBe(ids.length);
  });

  test.each([-1, 1.5, Number.NaN, 2 ** 48])('a timestamp of %d is refused rather than wrapped', (ms) => {
    expect(() => uuidv7(ms)).toThrow(RangeError);
  });

  test('uuidv7Time does not read a time out of other UUID versions', () => {
    expect(uuidv7Time('123e4567-e89b-42d3-a456-426614174000')).toBeUndefined();
    expect(uuidv7Time('not a uuid')).toBeUndefined();
  });
});
