import { describe, expect, test } from 'bun:test';
import { parseJsonBody, parseNdjsonBody, readBody } from './body.ts';
import { EdgeError } from './errors.ts';

const request = (body: BodyInit, headers: Record<string, string> = {}) =>
  new Request('http://edge.test/v1/events', { method: 'POST', body, headers });

function thrown(fn: () => unknown): EdgeError {
  try {
    fn();
  } catch (err) {
    if (err instanceof EdgeError) return err;
    throw err;
  }
  throw new Error('did not throw');
}

describe('NDJSON bodies', () => {
  test('blank lines, whitespace-only lines and CRLF line ends are skipped, not counted as events', () => {
    const body = parseNdjsonBody('\n{"type":"a"}\r\n   \n\t\n{"type":"b"}\n\n');
    expect(body.single).toBe(false);
    expect(body.items.map((i) => (i.ok ? i.value : i))).toEqual([{ type: 'a' }, { type: 'b' }]);
  });

  test('a bad line becomes a rejected item at its index, carrying its line number in the file', () => {
    const body = parseNdjsonBody('{"type":"a"}\n\n{"type": nope}\n{"type":"c"}');
    expect(body.items).toHaveLength(3);
    expect(body.items[0]).toMatchObject({ ok: true, value: { type: 'a' } });
    expect(body.items[1]).toMatchObject({ ok: false, line: 3 });
    const bad = body.items[1]!;
    if (!bad.ok) expect(bad.message).toContain('line 3, column 10');
    expect(body.items[2]).toMatchObject({ ok: true, value: { type: 'c' } });
  });

  test('each item carries its own size in bytes, counting multi-byte characters', () => {
    const body = parseNdjsonBody('{"type":"é"}\n');
    expect(body.items[0]).toMatchObject({ ok: true, bytes: Buffer.byteLength('{"type":"é"}') });
  });

  test('a body of only blank lines is 400 empty_body', () => {
    const err = thrown(() => parseNdjsonBody('\n \n\r\n'));
    expect(err.status).toBe(400);
    expect(err.code).toBe('empty_body');
  });
});

describe('JSON bodies', () => {
  test('one object is a single item, an array and an {events} wrapper are batches', () => {
    expect(parseJsonBody('{"type":"a"}')).toMatchObject({ single: true, items: [{ ok: true, value: { type: 'a' } }] });
    expect(parseJsonBody('[{"type":"a"},{"type":"b"}]')).toMatchObject({ single: false, items: [{ ok: true }, { ok: true }] });
    const wrapped = parseJsonBody('{"events":[{"type":"a"}]}');
    expect(wrapped).toMatchObject({ single: false, wrapper: 'events', items: [{ ok: true, value: { type: 'a' } }] });
  });

  test('an object with events next to other fields is one event, not a wrapper', () => {
    expect(parseJsonBody('{"events":[],"type":"a"}')).toMatchObject({ single: true });
  });

  test('malformed JSON is 400 malformed_json with offset, line and column', () => {
    const err = thrown(() => parseJsonBody('{\n  "type": "a",\n}'));
    expect(err.status).toBe(400);
    expect(err.code).toBe('malformed_json');
    expect(err.details.position).toEqual({ offset: 17, line: 3, column: 1 });
  });

  test('a whitespace-only body is 400 empty_body', () => {
    expect(thrown(() => parseJsonBody('  \n ')).code).toBe('empty_body');
  });

  test('a 40 KB batch of more events than the limit allows parses to every item when it is valid, and is 413 too_many_events when it is malformed', () => {
    const limits = { maxEventBytes: 1_048_576, maxEventsPerRequest: 100 };
    const events = Array.from({ length: 500 }, (_, i) => ({ type: 'page.viewed', data: { path: `/docs/${i}`, title: 'x'.repeat(40) } }));
    const text = JSON.stringify(events);
    expect(text.length).toBeGreaterThan(30_000);
    expect(text.length).toBeLessThan(65_536);
    // ingest refuses the count once it has the items; the body itself is read whole.
    expect(parseJsonBody(text, limits).items).toHaveLength(500);
    const err = thrown(() => parseJsonBody(`${text.slice(0, -1)}, oops`, limits));
    expect({ status: err.status, code: err.code }).toEqual({ status: 413, code: 'too_many_events' });
  });
});

describe('reading the body under the byte limit', () => {
  test('a body exactly at the limit is read, one byte over is 413 body_too_large', async () => {
    expect(await readBody(request('x'.repeat(100)), { maxBodyBytes: 100 })).toBe('x'.repeat(100));
    const err = await readBody(request('x'.repeat(101)), { maxBodyBytes: 100 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EdgeError);
    expect(err).toMatchObject({ status: 413, code: 'body_too_large' });
  });

  test('a declared Content-Length over the limit is refused before reading', async () => {
    const err = await readBody(request('small', { 'content-length': '1000' }), { maxBodyBytes: 100 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 413, code: 'body_too_large' });
  });

  test('a streamed body without Content-Length is cut off once it passes the limit', async () => {
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(64).fill(0x20));
        if (pulled > 1000) controller.close();
      },
    });
    const err = await readBody(new Request('http://edge.test/', { method: 'POST', body: stream }), { maxBodyBytes: 200 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 413, code: 'body_too_large' });
    expect(pulled).toBeLessThan(1000);
  });

  test('gzip is inflated, and the limit applies to the inflated size', async () => {
    const text = JSON.stringify({ type: 'a', data: { pad: 'z'.repeat(500) } });
    const gz = Bun.gzipSync(text);
    expect(await readBody(request(gz, { 'content-encoding': 'gzip' }), { maxBodyBytes: 1000 })).toBe(text);
    const err = await readBody(request(gz, { 'content-encoding': 'gzip' }), { maxBodyBytes: 300 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 413, code: 'body_too_large' });
  });

  test('Content-Encoding is matched case-insensitively, and identity means none', async () => {
    expect(await readBody(request(Bun.gzipSync('{}'), { 'content-encoding': 'GZIP' }), { maxBodyBytes: 100 })).toBe('{}');
    expect(await readBody(request('{}', { 'content-encoding': 'identity' }), { maxBodyBytes: 100 })).toBe('{}');
  });

  test('an unsupported Content-Encoding is 415 unsupported_encoding', async () => {
    const err = await readBody(request('{}', { 'content-encoding': 'deflate' }), { maxBodyBytes: 100 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 415, code: 'unsupported_encoding' });
  });
});
