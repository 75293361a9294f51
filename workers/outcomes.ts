/**
 * Expected outcomes are values, not exceptions (the PostHog ingestion habit): every step and sink returns one per
 * event, and `workers/dispatch.ts` is the one place that turns them into dead-letter writes, retries and metrics.
 * Reasons are snake_case and come from a small fixed set per stage, so they are safe as metric labels.
 */
export type Outcome =
  | { readonly type: 'ok' }
  | { readonly type: 'drop'; readonly reason: string }
  | { readonly type: 'dlq'; readonly reason: string; readonly message?: string }
  | { readonly type: 'retry'; readonly reason: string; readonly message?: string };

export type OutcomeType = Outcome['type'];

export const ok: Outcome = Object.freeze({ type: 'ok' });
export const drop = (reason: string): Outcome => ({ type: 'drop', reason });
export const dlq = (reason: string, message?: string): Outcome => ({ type: 'dlq', reason, ...(message && { message }) });
export const retry = (reason: string, message?: string): Outcome => ({ type: 'retry', reason, ...(message && { message }) });

export const isOk = (o: Outcome): boolean => o.type === 'ok';

/** What a pipeline step hands on: the value for the next step, or the (non-ok) outcome that ends the event there. */
export type StepResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly outcome: Outcome };
