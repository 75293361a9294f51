import { keepEventText, type StampedEvent } from '../shared/contracts/index.ts';
import type { ConsumedMessage } from '../shared/kafka/index.ts';
import type { Settled } from './dispatch.ts';
import { decode } from './steps/decode.ts';
import { writeToSinks, type SinkStepOptions } from './steps/sinks.ts';
import { validate } from './steps/validate.ts';

export interface ProcessedBatch {
  /** Shutdown stopped a sink's retries: `settled` is incomplete and the batch must not be committed. */
  readonly aborted: boolean;
  /** One entry per (message, stage) where the message's way ended: decode, validate, or each sink. */
  readonly settled: readonly Settled[];
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
    if (json.text !== undefined) keepEventText(checked.value, json.value, json.text);
    valid.push({ message, event: checked.value });
  }
  const [{ aborted, results }, alongsideDone] = await Promise.all([
    writeToSinks(
      valid.map((v) => v.event),
      sinkStep,
    ),
    alongside && valid.length > 0 ? alongside(valid) : true,
  ]);
  for (const { sink, outcomes, attempts } of results) {
    outcomes.forEach((outcome, i) => {
      const { message, event } = valid[i]!;
      settled.push({ message, stage: sink, outcome, attempts: attempts[i]!, eventId: event.id });
    });
  }
  return { aborted: aborted || !alongsideDone, settled };
}
