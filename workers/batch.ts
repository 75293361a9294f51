import type { StampedEvent } from '../shared/contracts/index.ts';
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

/** decode → validate → sinks, for every message of a batch; no side effects besides the sink writes. */
export async function processBatch(messages: readonly ConsumedMessage[], sinkStep: SinkStepOptions): Promise<ProcessedBatch> {
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
    valid.push({ message, event: checked.value });
  }
  const { aborted, results } = await writeToSinks(
    valid.map((v) => v.event),
    sinkStep,
  );
  for (const { sink, outcomes, attempts } of results) {
    outcomes.forEach((outcome, i) => {
      const { message, event } = valid[i]!;
      settled.push({ message, stage: sink, outcome, attempts: attempts[i]!, eventId: event.id });
    });
  }
  return { aborted, settled };
}
