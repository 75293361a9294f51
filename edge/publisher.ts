import type { StampedEvent } from '../shared/contracts/index.ts';

export type AckMode = 'kafka' | 'queued';

export type PublishOutcome =
  | { ok: true; partition?: number; offset?: bigint }
  | { ok: false; code: 'overloaded' | 'broker_unavailable' | 'delivery_failed'; message: string; retriable: boolean };

/**
 * What the HTTP layer needs from the producer side. `kafka-publisher.ts` implements it over the project's
 * librdkafka client; admission (`room`, `ready`) is asked before anything is produced so a request is either taken
 * whole or refused whole with 503, never half-queued.
 */
export interface Publisher {
  /**
   * Produces every event; resolves once each is acknowledged (`kafka`) or queued (`queued`). Never rejects. A traced
   * request passes its span's `traceparent`, which every record then carries as a header. `texts`, when given, are
   * the events' record values already serialised (eventText of each, in the same order), sent as they are.
   */
  publish(events: readonly StampedEvent[], ack: AckMode, traceparent?: string, texts?: readonly string[]): Promise<PublishOutcome[]>;
  /** False while no broker is reachable or the producer hit a fatal error. */
  ready(): boolean;
  /** Why `ready()` is false, for /readyz. */
  lastError(): string | undefined;
  /** Free slots in the bounded producer queue. */
  room(): number;
  queueDepth(): number;
  close(timeoutMs: number): Promise<void>;
}
