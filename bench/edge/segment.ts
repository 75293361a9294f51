import { parseSegment } from '../../shared/contracts/index.ts';
/**
 * The Segment row of bench:edge: `POST /v1/batch` bodies as @segment/analytics-node sends them (its own `track`
 * messages: event, userId, ~8 properties, context with library, ip and userAgent, messageId, timestamp,
 * `_metadata`, and the batch's sentAt), 100 per request, against the edge's own 100-event batches on /v1/events,
 * with the same wrk connections, threads, Authorization header and rounds. Every 200 carries 100 events into the
 * topic; the counts check of run.ts holds the Segment runs to that as it does the edge's batches.
 */
export const SEGMENT_BATCH_PATH = '/v1/batch';

const USER_AGENT = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

/** One analytics-node `track` message (the shape of its batch items), ~650 bytes as JSON. */
export function segmentTrack(i: number, at: Date): Record<string, unknown> {
  return {
    type: 'track',
    event: 'Order Completed',
    userId: `user-${i % 1000}`,
    properties: { orderId: `o-${i}`, total: 27.5 + (i % 50), revenue: 25, currency: 'EUR', coupon: 'SPRING', products: 3, plan: 'team', source: 'checkout' },
    context: { library: { name: '@segment/analytics-node', version: '3.1.0' }, ip: `203.0.113.${i % 250}`, userAgent: USER_AGENT },
    messageId: `node-next-${at.getTime()}-${i.toString(36).padStart(8, '0')}-bench`,
    timestamp: at.toISOString(),
    integrations: {},
    _metadata: { jsonRuntime: 'node' },
  };
}

/** A `/v1/batch` body of `n` track messages, as the SDK flushes them: each stamped when it was made, 1 ms apart. */
export function segmentBatchBody(n = 100, at = new Date()): string {
  const made = (i: number) => new Date(at.getTime() - (n - i));
  return JSON.stringify({ batch: Array.from({ length: n }, (_, i) => segmentTrack(i, made(i))), sentAt: at.toISOString() });
}

/**
 * The events the edge makes of segmentBatchBody's messages (Segment's mapping, source `segment`), as a body of its own
 * `/v1/events` route: the same records in Kafka as Segment's route writes, without that route's parse and mapping.
 * The pair of this body and the edge's own batches prices the larger records alone.
 */
export function segmentEventsBody(n = 100, at = new Date()): string {
  const { batch } = JSON.parse(segmentBatchBody(n, at)) as { batch: unknown[] };
  const events = batch.map((message) => {
    const parsed = parseSegment(message, { source: 'segment' });
    if (!parsed.ok) throw new Error(`a bench Segment message did not map: ${parsed.code} at ${parsed.path}`);
    return parsed.event;
  });
  return JSON.stringify({ events });
}
