import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { SEGMENT_MAX_CALL_BYTES } from './segment.ts';
import { edgeFixture, post, readBack, readTopic, type EdgeFixture } from './testing.ts';

let fx: EdgeFixture;
beforeAll(async () => {
  fx = await edgeFixture({ what: 'segment' });
});
afterAll(() => fx?.close());

const LIMIT = SEGMENT_MAX_CALL_BYTES;
// Every message of a case has a messageId of the same length, so their records differ only by what `blob` holds.
const message = (id: string, blob: string, extra: Record<string, unknown> = {}) => ({
  type: 'track',
  event: 'Sized',
  userId: 'u-size',
  messageId: id,
  timestamp: '2025-03-10T08:00:00.000Z',
  properties: { blob },
  ...extra,
});

/** The Kafka record values of the topic, by event id, as bytes. */
async function recordBytes(): Promise<Map<string, number>> {
  const messages = await readTopic(fx.brokers, fx.admin, fx.topic);
  return new Map(messages.map((m) => [readBack(m).event.id, m.value!.byteLength]));
}

describe('/v1/batch holds each event to 32 KB as the record the edge writes for it', () => {
  let empty = 0;
  beforeAll(async () => {
    expect((await post(fx.app, '/v1/batch', { batch: [message('probe-00', '')] })).status).toBe(200);
    empty = (await recordBytes()).get('probe-00')!;
    expect(empty).toBeGreaterThan(0);
  });

  test('a record of exactly 32,768 bytes is taken; one byte more is refused event_too_large at its index', async () => {
    const batch = [message('exact-00', 'x'.repeat(LIMIT - empty)), message('overx-00', 'x'.repeat(LIMIT - empty + 1)), message('small-00', 'x')];
    const res = await post(fx.app, '/v1/batch?receipt=1', { batch });
    expect(res.body.results).toMatchObject([
      { index: 0, status: 'accepted', id: 'exact-00' },
      { index: 1, status: 'rejected', code: 'event_too_large', path: '', message: `event is larger than ${LIMIT} bytes` },
      { index: 2, status: 'accepted', id: 'small-00' },
    ]);
    expect((await recordBytes()).get('exact-00')).toBe(LIMIT);
  });

  test('the record is measured in UTF-8 bytes, not characters', async () => {
    // Two bytes each: fewer characters than the limit, more bytes.
    const n = Math.ceil((LIMIT - empty + 1) / 2);
    expect(empty + n).toBeLessThan(LIMIT);
    const res = await post(fx.app, '/v1/batch?receipt=1', { batch: [message('utf8x-00', 'é'.repeat(n)), message('utf8y-00', 'é'.repeat(n - 1))] });
    expect(res.body.results).toMatchObject([
      { index: 0, status: 'rejected', code: 'event_too_large' },
      { index: 1, status: 'accepted', id: 'utf8y-00' },
    ]);
  });

  test('fields the edge does not keep are not counted: 40 KB of _metadata is taken, and not stored', async () => {
    const res = await post(fx.app, '/v1/batch?receipt=1', { batch: [message('meta0-00', 'x', { _metadata: { blob: 'x'.repeat(40_000) } })] });
    expect(res.body.results).toMatchObject([{ index: 0, status: 'accepted', id: 'meta0-00' }]);
    expect((await recordBytes()).get('meta0-00')).toBe(empty + 1);
  });

  test('without ?receipt=1 a batch whose every event is too large is 400 naming the first one', async () => {
    const big = 'x'.repeat(LIMIT);
    const res = await post<Record<string, unknown>>(fx.app, '/v1/batch', { batch: [message('big00-00', big), message('big01-00', big)] });
    expect(res).toMatchObject({ status: 400, body: { success: false, code: 'event_too_large', index: 0, path: '' } });
  });
});

describe('/v1/batch refuses what a store would refuse, at the index and path the client sent', () => {
  test('field names with empty or blank parts are refused one by one; the messages around them are taken', async () => {
    const batch = [message('names-00', 'x'), message('names-01', 'x', { properties: { 'a..b': 1 } }), message('names-02', 'x', { context: { ' ': 1 } }), message('names-03', 'x')];
    const res = await post(fx.app, '/v1/batch?receipt=1', { batch });
    expect(res.body.results).toMatchObject([
      { index: 0, status: 'accepted', id: 'names-00' },
      { index: 1, status: 'rejected', code: 'invalid_field_name', path: 'properties.a..b' },
      { index: 2, status: 'rejected', code: 'invalid_field_name', path: 'context. ' },
      { index: 3, status: 'accepted', id: 'names-03' },
    ]);
  });

  test('a string holding U+0000 (sent as an escape) is refused at its path as the client named it; the message beside it is taken', async () => {
    const batch = [message('nulls-00', 'x'), message('nulls-01', 'a\u0000b')];
    const res = await post(fx.app, '/v1/batch?receipt=1', { batch });
    expect(res.body.results).toMatchObject([
      { index: 0, status: 'accepted', id: 'nulls-00' },
      { index: 1, status: 'rejected', code: 'invalid_string', path: 'properties.blob' },
    ]);
  });
});
