/**
 * When a supervised process that exited on its own is started again: capped exponential backoff, as systemd
 * (RestartSec with RestartSteps/RestartMaxDelaySec), Kubernetes (CrashLoopBackOff: 10 s doubling to 5 min, reset
 * after 10 min of running) and PM2 (exp-backoff-restart-delay) do. Pure: times come in as numbers.
 */
export interface Backoff {
  /** Delay before the first restart of a streak. */
  readonly initialMs: number;
  /** The delay doubles per restart up to this. */
  readonly maxMs: number;
  /** A process that ran this long before exiting starts a new streak (its next restart waits initialMs again). */
  readonly resetAfterMs: number;
}

/** How many restarts within how long make a process `crashing` (reported loudly, still restarted at maxMs). */
export interface CrashLoop {
  readonly restarts: number;
  readonly windowMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 1000, maxMs: 30_000, resetAfterMs: 60_000 };
export const DEFAULT_CRASH_LOOP: CrashLoop = { restarts: 5, windowMs: 300_000 };

/** What the policy remembers of one process between its exits. */
export interface RestartHistory {
  /** Restarts in the current streak (since the last run of at least resetAfterMs). */
  readonly streak: number;
  /** When each restart within the last windowMs was planned, oldest first. */
  readonly recent: readonly number[];
}

export const NO_RESTARTS: RestartHistory = { streak: 0, recent: [] };

export interface RestartPlan {
  readonly delayMs: number;
  /** True when this restart makes `restarts` or more within `windowMs`. */
  readonly crashing: boolean;
  readonly history: RestartHistory;
}

/** The restart after a process that started at `startedAt` exited at `exitedAt`. */
export function planRestart(
  history: RestartHistory,
  { startedAt, exitedAt }: { startedAt: number; exitedAt: number },
  backoff: Backoff = DEFAULT_BACKOFF,
  loop: CrashLoop = DEFAULT_CRASH_LOOP,
): RestartPlan {
  const streak = exitedAt - startedAt >= backoff.resetAfterMs ? 0 : history.streak;
  const recent = [...history.recent.filter((at) => exitedAt - at < loop.windowMs), exitedAt].slice(-loop.restarts);
  const crashing = recent.length >= loop.restarts;
  // 2 ** streak overflows to Infinity long before it matters; min() keeps the cap either way.
  const doubled = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(streak, 52));
  return { delayMs: crashing ? backoff.maxMs : doubled, crashing, history: { streak: streak + 1, recent } };
}
