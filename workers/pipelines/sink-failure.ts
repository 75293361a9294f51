import { isPermanentProduceError, KAFKA_ERR, type KafkaError } from '../../shared/kafka/index.ts';
import type { RetryContext, RetryVerdict } from '../steps/sinks.ts';

/** The records of one attempt that a pipeline's sink topic did not take, with the error Kafka gave for each. */
export class SinkRefused extends Error {
  override readonly name = 'SinkRefused';
  constructor(readonly topic: string, readonly errors: readonly KafkaError[]) {
    super(`sink topic ${topic} refused ${errors.length} records (${errors[0]?.message ?? 'no error given'})`);
  }
}

/**
 * Codes for which the sink topic is not in the cluster's metadata. The producer never asks the broker to create a
 * topic, so a deleted one stays gone until someone creates it again; but it also answers this for a topic created
 * again a moment ago, until its next metadata request (about half a second after the refusal), hence the grace.
 */
const TOPIC_GONE = new Set<number>([KAFKA_ERR.UNKNOWN_TOPIC_OR_PART, KAFKA_ERR.UNKNOWN_TOPIC, KAFKA_ERR.UNKNOWN_PARTITION]);

/**
 * How a sink topic's refusal of a record is taken: `refused` when retrying cannot help (the topic refuses this client,
 * or the record is too large or malformed for it: shared/kafka's isPermanentProduceError), `gone` when the topic is
 * missing, `transient` for the rest (a broker away, a leader moving, a timeout).
 */
export function sinkErrorKind(error: Pick<KafkaError, 'code'>): 'refused' | 'gone' | 'transient' {
  if (isPermanentProduceError(error)) return 'refused';
  return TOPIC_GONE.has(error.code) ? 'gone' : 'transient';
}

export interface PipelineRetryLimits {
  /** How long the sink topic may stay missing before the pipeline fails (PIPELINES_SINK_TOPIC_MISSING_MS). */
  readonly topicMissingMs: number;
}

const MAX_DETAIL = 200;

/**
 * What a pipeline's run does after a failed attempt. A sink topic that refuses records for good fails the pipeline
 * at once, one that is missing once it has been missing for `topicMissingMs` (`sink_topic_refused: <librdkafka code
 * name>`); anything else is retried until the retry time is up, and then fails it as `retries_exhausted: <what the
 * last attempt said>`. The reason is shown to users as the pipeline's failure, so it names the cause first and
 * stays short.
 */
export function judgePipelineRun(error: unknown, { elapsedMs, timedOut }: RetryContext, { topicMissingMs }: PipelineRetryLimits): RetryVerdict {
  if (error instanceof SinkRefused) {
    const refused = error.errors.find((e) => sinkErrorKind(e) === 'refused');
    if (refused) return { action: 'fail', reason: `sink_topic_refused: ${refused.rdName}` };
    const gone = error.errors.find((e) => sinkErrorKind(e) === 'gone');
    if (gone && (elapsedMs >= topicMissingMs || timedOut)) return { action: 'fail', reason: `sink_topic_refused: ${gone.rdName}` };
    if (timedOut) return { action: 'fail', reason: `retries_exhausted: ${error.errors[0]?.rdName ?? 'sink_delivery_failed'}` };
    return { action: 'retry' };
  }
  if (!timedOut) return { action: 'retry' };
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { action: 'fail', reason: `retries_exhausted: ${detail.slice(0, MAX_DETAIL)}` };
}
