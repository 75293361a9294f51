import type { EdgeMetrics } from './metrics.ts';

/** An event answered with `?ack=queued` that Kafka then did not take: its id, librdkafka's error name and message. */
export interface LostDelivery {
  id: string;
  rdName: string;
  message: string;
}

/**
 * The `code` label of `edge_events_total{outcome="lost_after_ack"}`: librdkafka's error name in snake_case when it
 * is one a produce can end with (timeouts, the broker refusing the record, the queue purged at shutdown), else
 * `other`, so the label stays a fixed set.
 */
export const LOST_CODES = [
  'msg_timed_out',
  'msg_size_too_large',
  'record_list_too_large',
  'invalid_record',
  'unknown_topic_or_part',
  'topic_authorization_failed',
  'not_enough_replicas',
  'not_enough_replicas_after_append',
  'all_brokers_down',
  'transport',
  'purge_queue',
  'purge_inflight',
  'fatal',
  'other',
] as const;
export type LostCode = (typeof LOST_CODES)[number];

const KNOWN = new Set<string>(LOST_CODES);

export function lostCode(rdName: string): LostCode {
  const name = rdName.replace(/^_/, '').toLowerCase();
  return KNOWN.has(name) ? (name as LostCode) : 'other';
}

/**
 * Counts and logs the events of one request that were answered before Kafka's acknowledgement and then lost. One line
 * per request and error, naming at most `maxIdsPerLine` ids: an outage can lose a whole queue (up to
 * EDGE_QUEUE_MAX_MESSAGES events) at once, and the count says how many the line leaves out.
 */
export function createLossRecorder({
  metrics,
  log = (line: string) => console.error(line),
  maxIdsPerLine = 100,
}: {
  metrics: EdgeMetrics;
  log?: (line: string) => void;
  maxIdsPerLine?: number;
}) {
  return function recordLostDeliveries(lost: readonly LostDelivery[]): void {
    const byError = new Map<string, LostDelivery[]>();
    for (const l of lost) {
      const group = byError.get(l.message);
      if (group) group.push(l);
      else byError.set(l.message, [l]);
    }
    for (const [message, group] of byError) {
      const code = lostCode(group[0]!.rdName);
      metrics.events.inc({ outcome: 'lost_after_ack', code }, group.length);
      const ids = group.slice(0, maxIdsPerLine).map((l) => l.id);
      const more = group.length > ids.length ? ` and ${group.length - ids.length} more` : '';
      log(`edge: ${group.length} event(s) answered with ack=queued were not delivered (${code}: ${message}): ids ${ids.join(', ')}${more}`);
    }
  };
}
