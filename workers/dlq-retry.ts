import { isPermanentProduceError, type KafkaError } from '../shared/kafka/index.ts';

/**
 * Reasons the dead-letter producer is retried for (labels of workers_sink_errors_total{sink="dlq"} and of /readyz):
 * `dlq_delivery_failed` for a transient failure (broker away, timeout), `dlq_record_refused` when the topic refuses
 * even the truncated record for good (not authorized, invalid topic, max.message.bytes below the truncated size),
 * which only an operator can fix.
 */
export const DLQ_DELIVERY_REASONS = ['dlq_delivery_failed', 'dlq_record_refused'] as const;
export type DlqDeliveryReason = (typeof DLQ_DELIVERY_REASONS)[number];

/** What to do with a dead letter the producer did not deliver. */
export type DlqNextStep =
  /** Write it again as it is, after a backoff. */
  | { readonly action: 'retry'; readonly reason: DlqDeliveryReason }
  /** Write it again at once with only a bounded prefix of its value: the whole record will never be taken. */
  | { readonly action: 'truncate' };

/**
 * The dead-letter producer's retry decision, in one place. A record refused for good would otherwise be retried
 * forever and hold its partition (and every event after it) with it; its truncated copy keeps the location headers,
 * so the original can still be read from the main topic. A dead letter is never dropped: when even the truncated
 * record is refused, it is retried with backoff and reported, since dropping it would lose the event silently.
 */
export function dlqNextStep(error: Pick<KafkaError, 'code'>, { truncated }: { truncated: boolean }): DlqNextStep {
  if (!isPermanentProduceError(error)) return { action: 'retry', reason: 'dlq_delivery_failed' };
  return truncated ? { action: 'retry', reason: 'dlq_record_refused' } : { action: 'truncate' };
}
