import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { decodeEvent } from '../contracts/index.ts';
import { readAll } from '../kafka/testing.ts';
import { eventTopic, type EventTopic } from './events.ts';
import { uniqueName } from './names.ts';

let source: EventTopic;
beforeAll(async () => {
  source = await eventTopic({ what: 'shared_events', partitions: 1 });
});
afterAll(() => source?.close());

const text = new TextDecoder();

describe('publishing events the way the edge does', () => {
  test('valid events go on the topic as the edge writes them: keyed, stamped JSON, type/source/id headers; invalid ones are refused with index, code and path', async () => {
    const items = [{ type: 'a.b', source: 'web', key: 'user-1', data: { n: 1 } }, { type: '', data: {} }, { type: 'c.d', data: { n: 2 } }, 'nope'];
    const published = await source.publish(items);
    expect(published.ids).toHaveLength(2);
    expect(published.refused.map(({ index, code, path }) => ({ index, code, path }))).toEqual([
      { index: 1, code: 'invalid_value', path: 'type' },
      { index: 3, code: 'not_an_object', path: '' },
    ]);
    const records = await readAll(source.topic, 2);
    expect(records).toHaveLength(2);
    const [first, second] = records.map((m) => {
      const decoded = decodeEvent(m.value!);
      if (!decoded.ok) throw new Error(decoded.message);
      return { key: text.decode(m.key!), headers: Object.fromEntries(m.headers.map(([k, v]) => [k, v ? text.decode(v) : ''])), event: decoded.event, timestamp: m.timestamp };
    });
    expect(first).toMatchObject({ key: 'user-1', headers: { type: 'a.b', source: 'web', id: published.ids[0] }, event: { id: published.ids[0], type: 'a.b', source: 'web', data: { n: 1 } } });
    expect(first!.timestamp).toBe(Date.parse(first!.event.receivedAt));
    // Without a key the event's id is its key, as the edge stamps it.
    expect(second).toMatchObject({ key: published.ids[1], headers: { type: 'c.d', source: '', id: published.ids[1] } });
  });
});

describe('unique names', () => {
  test('are valid topic, index, schema and key-prefix names whatever the label, and differ between calls', () => {
    const names = ['Workers Crash!', '9lives', ''].map(uniqueName);
    for (const name of names) expect(name).toMatch(/^[a-z][a-z0-9_]*$/);
    expect(names[0]!.startsWith('workers_crash_')).toBe(true);
    expect(new Set([uniqueName('x'), uniqueName('x')]).size).toBe(2);
  });
});
