import { describe, expect, test } from 'bun:test';
import type { JsonObject } from '../contracts/json.ts';
import { createEnricher, type EnrichStep } from './enrich.ts';
import type { PipelineEvent } from './paths.ts';

const customers: Record<string, JsonObject> = { c1: { tier: 'gold' }, c2: { tier: 'silver' }, '7': { tier: 'numeric' } };

function fakeLookup() {
  const calls: Array<[string, string[]]> = [];
  const lookup = async (table: string, keys: string[]) => {
    calls.push([table, [...keys].sort()]);
    return new Map(keys.flatMap((k) => (customers[k] ? [[k, customers[k]!] as const] : [])));
  };
  return { calls, lookup };
}

const step: EnrichStep = { type: 'enrich', table: 'customers', on: 'data.customer', into: 'data.customer_info', cacheTtlMs: 1000 };
const ev = (customer?: string | number): PipelineEvent => ({ id: 'e', type: 't', data: customer === undefined ? {} : { customer } });

describe('enrich steps', () => {
  test.each([
    ['a known key joins the looked-up object', ev('c1'), { id: 'e', type: 't', data: { customer: 'c1', customer_info: { tier: 'gold' } } }, 'joined'],
    ['a number key is looked up by its text', ev(7), { id: 'e', type: 't', data: { customer: 7, customer_info: { tier: 'numeric' } } }, 'joined'],
    ['an unknown key leaves the event as it was', ev('c9'), ev('c9'), 'no match'],
    ['an event without the key field is not looked up', ev(undefined), ev(undefined), 'no key'],
  ] as const)('%s', async (_name, input, expected, note) => {
    const { lookup } = fakeLookup();
    const [result] = await createEnricher({ lookup }).enrich('p', step, [input]);
    expect(result).toEqual({ event: expected, note });
  });

  test('one batch makes one lookup for its distinct keys', async () => {
    const { calls, lookup } = fakeLookup();
    await createEnricher({ lookup }).enrich('p', step, [ev('c1'), ev('c2'), ev('c1'), ev('c9')]);
    expect(calls).toEqual([['customers', ['c1', 'c2', 'c9']]]);
  });

  test('hits and misses are cached until the TTL passes, per pipeline', async () => {
    const { calls, lookup } = fakeLookup();
    let now = 0;
    const enricher = createEnricher({ lookup, now: () => now });
    await enricher.enrich('p', step, [ev('c1'), ev('c9')]);
    now = 999;
    await enricher.enrich('p', step, [ev('c1'), ev('c9')]);
    expect(calls.length).toBe(1);
    await enricher.enrich('other', step, [ev('c1')]);
    expect(calls.length).toBe(2);
    now = 1000;
    await enricher.enrich('p', step, [ev('c1')]);
    expect(calls.at(-1)).toEqual(['customers', ['c1']]);
  });

  test('cacheTtlMs 0 looks up every batch', async () => {
    const { calls, lookup } = fakeLookup();
    const enricher = createEnricher({ lookup });
    for (let i = 0; i < 3; i++) await enricher.enrich('p', { ...step, cacheTtlMs: 0 }, [ev('c1')]);
    expect(calls.length).toBe(3);
  });
});
