import { keepEventText, type StampedEvent } from '../shared/contracts/index.ts';
import type { ConsumedMessage } from '../shared/kafka/index.ts';
import type { BatchOutcomes, OkCount, Settled } from './dispatch.ts';
import { decode } from './steps/decode.ts';
import { writeToSinks, type SinkStepOptions } from './steps/sinks.ts';
import { validate } from './steps/validate.ts';

export interface ProcessedBatch extends BatchOutcomes {
  /** Shutdown stopped a sink's retries: `settled` is incomplete and the batch must not be committed. */
  readonly aborted: boolean;
  /** One entry per (message, stage) where the message's way ended in anything but ok: decode, validate, or a sink. */
  readonly settled: readonly Settled[];
  /**
   * Events each sink answered ok, as counts: an ok needs nothing but its metric, and an entry per event and sink was
   * three objects per event and about a tenth of a worker's CPU in a bench:workers profile.
   */
  readonly ok: readonly OkCount[];
  /** performance.now() when decode and validate ended and the sinks began (the batch's `decode` span, tracing.ts). */
  readonly decodedAt: number;
}

/** An id for the DLQ header when the JSON looked enough like an event to have one, even if it failed validation. */
function idOf(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null || !('id' in json)) return undefined;
  const { id } = json as { id: unknown };
  return typeof id === 'string' && id.length > 0 && id.length <= 200 ? id : undefined;
}

/**
 * Work that runs beside the sinks over the same valid events (the pipelines, workers/pipelines); resolves false when
 * shutdown cut it short, which leaves the batch uncommitted like an aborted sink.
 */
export type Alongside = (valid: ReadonlyArray<{ message: ConsumedMessage; event: StampedEvent }>) => Promise<boolean>;

/** decode → validate → sinks (and `alongside`), for every message of a batch; no side effects besides those writes. */
export async function processBatch(messages: readonly ConsumedMessage[], sinkStep: SinkStepOptions, alongside?: Alongside): Promise<ProcessedBatch> {
  const settled: Settled[] = [];
  const valid: Array<{ message: ConsumedMessage; event: StampedEvent }> = [];
  for (const message of messages) {
    const json = decode(message.value);
    if (!json.ok) {
      settled.push({ message, stage: 'decode', outcome: json.outcome, attempts: 1 });
      continue;
    }
    const checked = validate(json.value);
    if (!checked.ok) {
      const eventId = idOf(json.value);
      settled.push({ message, stage: 'validate', outcome: checked.outcome, attempts: 1, ...(eventId !== undefined && { eventId }) });
      continue;
    }
    if (json.text !== undefined) keepEventText(checked.value, json.value, json.text, message.value ?? undefined);
    valid.push({ message, event: checked.value });
  }
  const decodedAt = performance.now();
  const [{ aborted, results }, alongsideDone] = await Promise.all([
    writeToSinks(
      valid.map((v) => v.event),
      sinkStep,
    ),
    alongside && valid.length > 0 ? alongside(valid) : true,
  ]);
  const ok: OkCount[] = [];
  for (const { sink, outcomes, attempts } of results) {
    let n = 0;
    outcomes.forEach((outcome, i) => {
      if (outcome.type === 'ok') n++;
      else settled.push({ message: valid[i]!.message, stage: sink, outcome, attempts: attempts[i]!, eventId: valid[i]!.event.id });
    });
    ok.push({ stage: sink, n });
  }
  return { aborted: aborted || !alongsideDone, settled, ok, decodedAt };
}
