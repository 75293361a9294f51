import { afterAll, beforeAll, expect, test } from 'bun:test';
import type { TCPSocketListener } from 'bun';
import { eventTopic, type EventTopic } from '../../shared/testing/events.ts';
import { runAudit } from './audit.ts';
import { elasticsearchLookup } from './stores.ts';

// A search node that accepts connections and never answers: the audit must give up on it with a code, not wait.
let source: EventTopic;
let silent: TCPSocketListener;
let from = 0;
let to = 0;

beforeAll(async () => {
  source = await eventTopic({ what: 'audit_store_timeout', partitions: 1 });
  from = Date.now() - 1000;
  await source.publish(Array.from({ length: 20 }, (_, i) => ({ type: 'audit.timeout', source: 'test', data: { i } })));
  to = Date.now() + 1000;
  silent = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
});

afterAll(async () => {
  silent?.stop(true);
  await source?.close();
});

test('a store that stops answering fails the audit with store_timeout, naming the store', async () => {
  const audit = runAudit({
    admin: source.admin,
    brokers: source.brokers,
    topic: source.topic,
    dlqTopic: `${source.topic}-dlq-none`,
    from,
    to,
    lookups: { elasticsearch: elasticsearchLookup({ url: `http://127.0.0.1:${silent.port}`, alias: 'events' }) },
    lookupTimeoutMs: 500,
  });
  const error = await audit.then(() => undefined, (e: Error & { code?: string }) => e);
  expect(error?.code).toBe('store_timeout');
  expect(error?.message).toContain('elasticsearch');
}, 60_000);
