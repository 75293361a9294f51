import { sleep } from '../../shared/sleep.ts';
import type { StampedEvent } from '../../shared/contracts/index.ts';
import { dlq, retry, type Outcome } from '../outcomes.ts';
import type { Sink, SinkName } from '../sinks/types.ts';

/** Reasons this step adds on top of the sinks' own, when a sink breaks its contract; fixed, as they are labels. */
export const SINK_STEP_REASONS = ['sink_exception', 'sink_contract_error', 'retries_exhausted'] as const;

export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
}

/**
 * Capped exponential backoff with "equal jitter": half of the delay is fixed and half random, so workers that failed
 * together do not come back in lockstep, yet a wait never collapses to nothing against a store that is down.
 */
export function backoffMs(attempt: number, { initialMs, maxMs }: Backoff, random: () => number = Math.random): number {
  const capped = Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(attempt, 1) - 1, 30));
  return Math.round(capped / 2 + (random() * capped) / 2);
}

/** After a failed attempt: try again after a backoff, or give up with a reason. */
export type RetryVerdict = { readonly action: 'retry' } | { readonly action: 'fail'; readonly reason: string };

/** How a retried task ended: it succeeded, shutdown cut it short, or its verdict ended it (with the last error). */
export type RetryEnd = { readonly status: 'done' } | { readonly status: 'aborted' } | { readonly status: 'failed'; readonly reason: string; readonly error: unknown };

export interface RetryOptions {
  /** Names the task in the log: `<what>: <message>; retrying (attempt n)`, for the first failure and every tenth. */
  readonly what: string;
  readonly backoff: Backoff;
  readonly signal: AbortSignal;
  readonly log: (line: string) => void;
  /** Decides after each failure. Default: retry. */
  readonly judge?: (error: unknown, context: RetryContext) => RetryVerdict;
  readonly timeoutMs?: number;
  /** Milliseconds, monotonic; injectable for tests. */
  readonly now?: () => number;
}

/** Where a failing task stands: how long since its first attempt, and whether that is past `timeoutMs`. */
export interface RetryContext {
  readonly elapsedMs: number;
  readonly timedOut: boolean;
}

const alwaysRetry = (): RetryVerdict => ({ action: 'retry' });

/** Runs `attempt` until it resolves, with backoff between failures, until `judge` gives up or `signal` aborts. */
export async function retryUntil(attempt: () => Promise<void>, options: RetryOptions): Promise<RetryEnd> {
  const { what, backoff, signal, log, judge = alwaysRetry, timeoutMs = Infinity, now = performance.now.bind(performance) } = options;
  const started = now();
  const deadline = started + timeoutMs;
  for (let round = 1; ; round++) {
    try {
      await attempt();
      return { status: 'done' };
    } catch (error) {
      const at = now();
      const verdict = judge(error, { elapsedMs: at - started, timedOut: at >= deadline });
      if (verdict.action === 'fail') return { status: 'failed', reason: verdict.reason, error };
      if (round === 1 || round % 10 === 0) log(`${what}: ${error instanceof Error ? error.message : String(error)}; retrying (attempt ${round})`);
      if (signal.aborted) return { status: 'aborted' };
      await sleep(Math.min(backoffMs(round, backoff), Math.max(deadline - now(), 0)), signal);
      if (signal.aborted) return { status: 'aborted' };
    }
  }
}

/** retryUntil without an end: resolves true once `attempt` succeeded, false if `signal` aborted (shutdown) first. */
export async function retryUntilDone(attempt: () => Promise<void>, options: Pick<RetryOptions, 'what' | 'backoff' | 'signal' | 'log'>): Promise<boolean> {
  return (await retryUntil(attempt, options)).status === 'done';
}

/** How the runner learns what the step is doing, without the step knowing about consumers or metrics. */
export interface SinkHooks {
  /** Every write call: its duration and the outcomes it returned (latency and error metrics). */
  onAttempt?(sink: SinkName, seconds: number, outcomes: readonly Outcome[]): void;
  /** The sink left `pending` events to retry after `attempt` tries: pause consumption, report not ready. */
  onRetrying?(sink: SinkName, attempt: number, pending: number, reason: string): void;
  /** The sink is done with this batch (every event settled, or the retries were aborted). */
  onSettled?(sink: SinkName): void;
}

export interface SinkStepOptions {
  readonly sinks: readonly Sink[];
  readonly backoff: Backoff;
  /**
   * How long one sink's `retry` answers are retried for a batch, from its first attempt; the events still pending
   * then end as dlq(retries_exhausted). Undefined: until they settle.
   */
  readonly retryTimeoutMs?: number;
  /** Aborted on shutdown: no further retries; the batch is then reported aborted and must not be committed. */
  readonly signal?: AbortSignal;
  readonly hooks?: SinkHooks;
  /** Injectable for tests, like `random` and `now` (milliseconds, monotonic). */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random?: () => number;
  readonly now?: () => number;
}

export interface SinkResult {
  readonly sink: SinkName;
  /** One per event, in input order; ok, drop or dlq unless the step was aborted (then some may still be retry). */
  readonly outcomes: readonly Outcome[];
  /** How many times each event was submitted to this sink. */
  readonly attempts: readonly number[];
  readonly aborted: boolean;
}

export interface SinksResult {
  /** True when any sink stopped retrying because of shutdown: nothing of the batch may be committed. */
  readonly aborted: boolean;
  readonly results: readonly SinkResult[];
}

/** A sink must not throw and must answer once per event; if it does not, its events are retried rather than lost. */
async function attempt(sink: Sink, events: readonly StampedEvent[]): Promise<Outcome[]> {
  try {
    const outcomes = await sink.write(events);
    if (outcomes.length === events.length) return outcomes;
    const message = `${sink.name} returned ${outcomes.length} outcomes for ${events.length} events`;
    return events.map((_, i) => (outcomes.length > events.length ? undefined : outcomes[i]) ?? retry('sink_contract_error', message));
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return events.map(() => retry('sink_exception', message.slice(0, 500)));
  }
}

/**
 * Writes to one sink, re-submitting only the events it answered `retry` for, until none are left, the retry time is
 * up (they are dead-lettered as retries_exhausted, with the sink's last message) or shutdown.
 */
export async function writeUntilSettled(sink: Sink, events: readonly StampedEvent[], options: SinkStepOptions): Promise<SinkResult> {
  const { backoff, signal, hooks = {}, sleep: wait = sleep, random = Math.random, now = performance.now.bind(performance), retryTimeoutMs } = options;
  const deadline = retryTimeoutMs === undefined ? Infinity : now() + retryTimeoutMs;
  const outcomes: Outcome[] = new Array(events.length);
  const attempts: number[] = events.map(() => 0);
  let pending = events.map((_, i) => i);
  try {
    for (let round = 1; ; round++) {
      const started = performance.now();
      const answered = await attempt(sink, pending.map((i) => events[i]!));
      hooks.onAttempt?.(sink.name, (performance.now() - started) / 1000, answered);
      const left: number[] = [];
      let reason = '';
      pending.forEach((i, k) => {
        const outcome = answered[k]!;
        outcomes[i] = outcome;
        attempts[i]!++;
        if (outcome.type === 'retry') {
          left.push(i);
          reason ||= outcome.reason;
        }
      });
      pending = left;
      if (pending.length === 0) return { sink: sink.name, outcomes, attempts, aborted: false };
      if (signal?.aborted) return { sink: sink.name, outcomes, attempts, aborted: true };
      const remaining = deadline - now();
      if (remaining <= 0) {
        for (const i of pending) outcomes[i] = dlq('retries_exhausted', exhausted(outcomes[i]!, attempts[i]!));
        return { sink: sink.name, outcomes, attempts, aborted: false };
      }
      hooks.onRetrying?.(sink.name, round, pending.length, reason);
      await wait(Math.min(backoffMs(round, backoff, random), remaining), signal);
      if (signal?.aborted) return { sink: sink.name, outcomes, attempts, aborted: true };
    }
  } finally {
    hooks.onSettled?.(sink.name);
  }
}

function exhausted(last: Outcome, attempts: number): string {
  const why = last.type === 'retry' ? `${last.reason}${last.message ? `: ${last.message}` : ''}` : last.type;
  return `still failing after ${attempts} attempts (${why})`;
}

/**
 * Step 3: fans the batch's valid events out to every sink in parallel. Each sink retries on its own schedule, so a
 * slow or down store delays the batch (and its commit) but never makes a healthy store write an event twice.
 */
export async function writeToSinks(events: readonly StampedEvent[], options: SinkStepOptions): Promise<SinksResult> {
  if (events.length === 0) {
    return { aborted: false, results: options.sinks.map((s) => ({ sink: s.name, outcomes: [], attempts: [], aborted: false })) };
  }
  const results = await Promise.all(options.sinks.map((sink) => writeUntilSettled(sink, events, options)));
  return { aborted: results.some((r) => r.aborted), results };
}
