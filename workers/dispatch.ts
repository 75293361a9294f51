import { KafkaError, type ConsumedMessage, type Producer } from '../shared/kafka/index.ts';
import { deadLetterRecord, type Stage } from './dlq.ts';
import { dlqNextStep, type DlqDeliveryReason } from './dlq-retry.ts';
import type { WorkerMetrics } from './metrics.ts';
import type { Outcome } from './outcomes.ts';
import type { SinkName } from './sinks/types.ts';
import { sleep } from '../shared/sleep.ts';
import { backoffMs, type Backoff } from './steps/sinks.ts';

/** One event's final word from one stage: what the dispatcher turns into a DLQ record and metrics. */
export interface Settled {
  readonly message: ConsumedMessage;
  readonly stage: Stage;
  readonly outcome: Outcome;
  readonly attempts: number;
  readonly eventId?: string;
}

/** How many events of a batch ended ok at one stage. */
export interface OkCount {
  readonly stage: Stage;
  readonly n: number;
}

/** A batch's outcomes as the dispatcher takes them: each non-ok one, and the ok ones counted per stage. */
export interface BatchOutcomes {
  readonly settled: readonly Settled[];
  readonly ok: readonly OkCount[];
}

/** What may be retrying while a batch is in flight: a sink, or the dead-letter producer. */
export type Target = SinkName | 'dlq';

export interface DispatchHooks {
  onRetrying?(target: Target, attempt: number, pending: number, reason: string): void;
  onSettled?(target: Target): void;
}

export interface DispatcherOptions {
  readonly producer: Pick<Producer, 'produceBatch'>;
  readonly dlqTopic: string;
  readonly metrics: WorkerMetrics;
  readonly backoff: Backoff;
  /** Bytes of the value a dead letter keeps when the topic refuses the whole record for good. */
  readonly truncatedBytes?: number;
  readonly hooks?: DispatchHooks;
  readonly log?: (line: string) => void;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface Dispatcher {
  /** Latency and error metrics of one sink write call (the sinks step's onAttempt hook). */
  attempt(sink: SinkName, seconds: number, outcomes: readonly Outcome[]): void;
  /**
   * Writes a DLQ record for every dlq outcome and waits for Kafka to acknowledge each (acks=all), then counts every
   * outcome, the ok ones from `ok`. Resolves false when shutdown cut the DLQ retries short: the batch must then not be
   * committed.
   */
  settle(batch: BatchOutcomes, signal?: AbortSignal): Promise<boolean>;
}

const where = (m: ConsumedMessage) => `${m.topic}[${m.partition}]@${m.offset}`;

/**
 * The one place outcomes become side effects. Steps and sinks only return values, so "what happens to a dead-lettered
 * or dropped event" is decided here and nowhere else: nothing leaves the pipeline without a DLQ record or a log line,
 * and nothing is counted twice.
 */
export function createDispatcher({
  producer,
  dlqTopic,
  metrics,
  backoff,
  truncatedBytes = 65_536,
  hooks = {},
  log = console.log,
  sleep: wait = sleep,
}: DispatcherOptions): Dispatcher {
  function attempt(sink: SinkName, seconds: number, outcomes: readonly Outcome[]): void {
    metrics.sinkLatency.observe({ sink }, seconds);
    for (const o of outcomes) if (o.type === 'retry' || o.type === 'dlq') metrics.sinkErrors.inc({ sink, reason: o.reason });
  }

  /**
   * Produces until every record is acknowledged. A record the topic refuses for good is written truncated at once
   * (dlq-retry.ts); anything else that fails holds the batch like a down sink, retried with backoff.
   */
  async function deliver(letters: readonly Settled[], signal?: AbortSignal): Promise<boolean> {
    let pending = letters.map((settled) => ({ settled, truncated: false }));
    let retried = false;
    let reported: DlqDeliveryReason | undefined;
    try {
      for (let round = 1; pending.length > 0; ) {
        const records = pending.map(({ settled: s, truncated }) => {
          const { reason, message: detail } = s.outcome as Extract<Outcome, { type: 'dlq' }>;
          const letter = { message: s.message, stage: s.stage, reason, detail, attempts: s.attempts, eventId: s.eventId };
          return deadLetterRecord(dlqTopic, letter, truncated ? { maxValueBytes: truncatedBytes } : {});
        });
        const results = await producer.produceBatch(records);
        const next: typeof pending = [];
        let failure: { reason: DlqDeliveryReason; error: string; n: number } | undefined;
        pending.forEach((p, i) => {
          const result = results[i];
          if (!(result instanceof KafkaError)) {
            metrics.dlq.inc({ stage: p.settled.stage, reason: (p.settled.outcome as { reason: string }).reason });
            if (p.truncated) metrics.dlqTruncated.inc({ stage: p.settled.stage });
            return;
          }
          const step = dlqNextStep(result, p);
          if (step.action === 'truncate') {
            log(`dead-letter topic ${dlqTopic} refused the record of ${where(p.settled.message)} (${result.message}); writing it truncated to ${truncatedBytes} bytes`);
            next.push({ settled: p.settled, truncated: true });
            return;
          }
          next.push(p);
          // A refusal only an operator can fix outranks a transient failure in what readiness and the log say.
          if (!failure || (step.reason === 'dlq_record_refused' && failure.reason !== step.reason)) failure = { reason: step.reason, error: result.message, n: 0 };
          failure.n++;
        });
        pending = next;
        if (!failure) continue; // only truncations: write them now, no backoff
        metrics.sinkErrors.inc({ sink: 'dlq', reason: failure.reason }, failure.n);
        if (reported !== failure.reason) {
          reported = failure.reason;
          log(
            failure.reason === 'dlq_record_refused'
              ? `dead-letter topic ${dlqTopic} refuses even truncated records (${failure.error}); the topic must be fixed (max.message.bytes, ACLs); retrying`
              : `dead-letter topic ${dlqTopic} refused ${failure.n} records (${failure.error}); retrying`,
          );
        }
        if (signal?.aborted) return false;
        retried = true;
        hooks.onRetrying?.('dlq', round, pending.length, failure.reason);
        await wait(backoffMs(round++, backoff), signal);
        if (signal?.aborted) return false;
      }
      return true;
    } finally {
      if (retried) hooks.onSettled?.('dlq');
    }
  }

  async function settle({ settled: records, ok }: BatchOutcomes, signal?: AbortSignal): Promise<boolean> {
    // Only a caller that ignored an aborted sinks step could pass these; committing after them would lose events.
    const stuck = records.find((s) => s.outcome.type === 'retry');
    if (stuck) throw new Error(`${where(stuck.message)} reached dispatch still pending at ${stuck.stage}`);
    const letters = records.filter((s) => s.outcome.type === 'dlq');
    if (letters.length > 0 && !(await deliver(letters, signal))) return false;
    // Counted per distinct (outcome, stage, reason) of the batch, then added: three label lookups per event (one per
    // sink) were 5% of a worker's CPU in bench:workers.
    const counts = new Map<string, { outcome: Outcome['type']; stage: string; reason: string; n: number }>();
    for (const { message, stage, outcome } of records) {
      const reason = outcome.type === 'ok' ? '' : outcome.reason;
      const id = `${outcome.type}|${stage}|${reason}`;
      const entry = counts.get(id);
      if (entry) entry.n++;
      else counts.set(id, { outcome: outcome.type, stage, reason, n: 1 });
      if (outcome.type === 'drop') log(`dropped ${where(message)} at ${stage}: ${reason}`);
    }
    for (const { outcome, stage, reason, n } of counts.values()) metrics.events.inc({ outcome, stage, reason }, n);
    for (const { stage, n } of ok) if (n > 0) metrics.events.inc({ outcome: 'ok', stage, reason: '' }, n);
    return true;
  }

  return { attempt, settle };
}
