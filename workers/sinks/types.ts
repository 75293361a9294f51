import type { StampedEvent } from '../../shared/contracts/index.ts';
import type { Outcome } from '../outcomes.ts';

export type SinkName = 'elasticsearch' | 'postgres' | 'redis';

/**
 * A store the workers write every event into. Contract:
 * - `write` returns exactly one Outcome per event, in input order, and does not throw for expected failures
 *   (store down, throttled, rejected document): those are `retry(reason)` or `dlq(reason)` values.
 * - Writes are idempotent by event id: the same event written twice leaves the store as if written once, because
 *   a crash between the sink writes and the offset commit re-delivers the whole batch.
 * - `retry` outcomes are re-submitted by the worker (only those events) with capped backoff; the batch's offsets are
 *   not committed until every event is `ok`, `drop` or `dlq`.
 */
export interface Sink {
  readonly name: SinkName;
  write(events: readonly StampedEvent[]): Promise<Outcome[]>;
  /** True when the store answers; used by the worker's /readyz. */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}
