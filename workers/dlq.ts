import type { DeadLetter as StoredDeadLetter } from '../shared/stores/dead-letter.ts';
import type { SinkName } from './sinks/types.ts';

// The record format is a contract with the query gateway, so it lives in shared/stores/dead-letter.ts.
export { deadLetterRecord, DLQ_HEADERS, readDeadLetterHeaders, type DeadLetterHeaders } from '../shared/stores/dead-letter.ts';

/** Where in the pipeline an event's way ended: a step, or the sink that refused it. */
export type Stage = 'decode' | 'validate' | SinkName;

export type DeadLetter = StoredDeadLetter<Stage>;
