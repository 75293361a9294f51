import { describe, expect, test } from 'bun:test';
import { MAX_DEPTH } from './json.ts';
import { parsePosthogSlow, posthogFast } from './posthog.ts';
import { eventTypeOf } from './sdk-names.ts';
import { parseSegment, parseSegmentSlow, segmentFast } from './segment.ts';

const at = '2025-03-10T08:00:00.123Z';
const segmentMessages: unknown[] = [
  { type: 'track', event: 'Order Completed', userId: 'u1', messageId: 'node-next-1-abc', timestamp: at, properties: { total: 3 }, context: { library: { name: 'x' } } },
  { type: 'identify', anonymousId: 'a1', traits: { plan: 'pro' }, originalTimestamp: at, channel: 'server', _metadata: {} },
  { type: 'page', userId: 'u1', name: 'Home', category: 'Docs', properties: {}, integrations: { All: true } },
  { type: 'group', userId: 'u1', groupId: 'g1', traits: {} },
  { type: 'alias', userId: 'u2', previousId: 'u1' },
];
const posthogEvents: unknown[] = [
  { event: '$pageview', distinct_id: 'd1', uuid: '01a24c56-8aca-74d1-9add-ffb42dfa0c2b', timestamp: at, properties: { $current_url: '/' } },
  { event: '$identify', distinct_id: 'd1', properties: { $set: { plan: 'x' }, $set_once: {} } },
  { event: 'signed up', properties: { distinct_id: 'd2', token: 'secret' }, $set: { a: 1 } },
];

describe('the Segment and PostHog fast paths', () => {
  test.each(segmentMessages.map((m) => [JSON.stringify(m).slice(0, 60), m]))('give the schema’s envelope for a Segment %s', (_name, message) => {
    const fast = segmentFast(message, { source: 'segment' });
    expect(fast).toBeDefined();
    const slow = parseSegmentSlow(message, { source: 'segment' });
    expect(slow).toEqual({ ok: true, event: fast! });
    // The record is the event's JSON, so the order of data's fields is part of it.
    expect(JSON.stringify(fast)).toBe(JSON.stringify(slow.ok && slow.event));
  });

  test.each(posthogEvents.map((e) => [JSON.stringify(e).slice(0, 60), e]))('give the schema’s envelope for a PostHog %s', (_name, event) => {
    const fast = posthogFast(event, 'posthog');
    expect(fast).toBeDefined();
    expect(parsePosthogSlow(event, 'posthog')).toEqual({ ok: true, event: fast! });
  });
});

describe('Segment messages the fast path leaves to the schema', () => {
  const nested = (levels: number): Record<string, unknown> => (levels === 0 ? {} : { a: nested(levels - 1) });
  // data is level 1 and properties level 2, so properties may hold MAX_DEPTH - 2 more levels.
  test('properties nested to the deepest level data allows are taken; one level more is too_deep', () => {
    const deepest = { type: 'track', event: 'e', userId: 'u', properties: nested(MAX_DEPTH - 2) };
    expect(segmentFast(deepest, { source: 's' })).toBeDefined();
    expect(parseSegmentSlow(deepest, { source: 's' }).ok).toBe(true);
    const deeper = { ...deepest, properties: nested(MAX_DEPTH - 1) };
    expect(segmentFast(deeper, { source: 's' })).toBeUndefined();
    expect(parseSegment(deeper, { source: 's' })).toMatchObject({ ok: false, code: 'too_deep', path: `properties${'.a'.repeat(MAX_DEPTH - 1)}` });
  });

  test('parsed from storable text, the same messages take the fast path to the same envelope, within the same limits', () => {
    const parsed = { source: 's', storable: true };
    for (const m of segmentMessages) expect(segmentFast(JSON.parse(JSON.stringify(m)), parsed)).toEqual(segmentFast(m, { source: 's' }));
    const arrays = (levels: number): unknown => (levels === 0 ? [] : [1, 'x', null, arrays(levels - 1)]);
    expect(segmentFast({ type: 'track', event: 'e', userId: 'u', properties: nested(MAX_DEPTH - 2) }, parsed)).toBeDefined();
    expect(segmentFast({ type: 'track', event: 'e', userId: 'u', properties: nested(MAX_DEPTH - 1) }, parsed)).toBeUndefined();
    expect(segmentFast({ type: 'track', event: 'e', userId: 'u', properties: { list: arrays(MAX_DEPTH - 3) } }, parsed)).toBeDefined();
    expect(segmentFast({ type: 'track', event: 'e', userId: 'u', properties: { list: arrays(MAX_DEPTH - 2) } }, parsed)).toBeUndefined();
    expect(segmentFast({ type: 'track', event: 'e', userId: 'u', context: { 'a.b': 1 } }, parsed)).toBeDefined();
    const emptyPart = { type: 'track', event: 'e', userId: 'u', context: { page: { 'a..b': 1 } } };
    expect(segmentFast(emptyPart, parsed)).toBeUndefined();
    expect(parseSegment(emptyPart, parsed)).toMatchObject({ ok: false, code: 'invalid_field_name', path: 'context.page.a..b' });
  });

  test('a groupId with a lone surrogate is refused at groupId', () => {
    const message = { type: 'group', userId: 'u', groupId: 'g\ud800' };
    expect(segmentFast(message, { source: 's' })).toBeUndefined();
    expect(parseSegment(message, { source: 's' })).toMatchObject({ ok: false, code: 'invalid_string', path: 'groupId' });
  });
});

describe('Segment messages the envelope does not take as they are', () => {
  test('a messageId the id charset refuses becomes the same valid id every time, the original kept under data', () => {
    const message = { type: 'track', event: 'x', userId: 'u', messageId: 'has spaces/and slashes' };
    const a = parseSegment(message, { source: 'segment' });
    const b = parseSegment({ ...message }, { source: 'segment' });
    expect(a.ok && b.ok && a.event.id === b.event.id).toBe(true);
    expect(a).toMatchObject({ ok: true, event: { id: expect.stringMatching(/^segment:[A-Za-z0-9_-]{32}$/), data: { messageId: message.messageId } } });
  });

  test('event names map the same way however they follow one another', () => {
    const names = ["Clicked 'Buy'!", "Clicked 'Buy'!", 'Signed Up', 'Signed Up', '', '!!!', '   ', '   ', 'Signed Up'];
    expect(names.map((name) => eventTypeOf(name))).toEqual(['Clicked _Buy_', 'Clicked _Buy_', 'Signed Up', 'Signed Up', undefined, '_', undefined, undefined, 'Signed Up']);
  });

  test('an event name with characters types do not allow becomes a valid type, the name kept under data.event', () => {
    expect(parseSegment({ type: 'track', event: "Clicked 'Buy'!", userId: 'u' }, { source: 's' })).toMatchObject({ ok: true, event: { type: 'Clicked _Buy_', data: { event: "Clicked 'Buy'!" } } });
  });

  test('a message without userId or anonymousId is refused at userId', () => {
    expect(parseSegment({ type: 'identify', traits: {} }, { source: 's' })).toMatchObject({ ok: false, code: 'missing_field', path: 'userId' });
  });

  test('a track without an event name is refused at event', () => {
    expect(parseSegment({ type: 'track', userId: 'u' }, { source: 's' })).toMatchObject({ ok: false, code: 'missing_field', path: 'event' });
  });

  test('a bad value deep in properties is refused at its own path', () => {
    expect(parseSegment({ type: 'track', event: 'e', userId: 'u', properties: { a: { '': 1 } } }, { source: 's' })).toMatchObject({ ok: false, path: 'properties.a.' });
  });
});

describe('PostHog events', () => {
  test('$pageview is posthog.pageview and the project key in properties is not kept', () => {
    const r = parsePosthogSlow({ event: '$pageview', properties: { distinct_id: 'd', token: 'phc_secret', x: 1 } }, 'posthog');
    expect(r).toEqual({ ok: true, event: { type: 'posthog.pageview', source: 'posthog', key: 'd', data: { event: '$pageview', properties: { distinct_id: 'd', x: 1 } } } });
  });

  test('an event without a distinct id is refused at distinct_id', () => {
    expect(parsePosthogSlow({ event: 'x' }, 'posthog')).toMatchObject({ ok: false, code: 'missing_field', path: 'distinct_id' });
  });
});
