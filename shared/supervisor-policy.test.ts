import { describe, expect, test } from 'bun:test';
import { DEFAULT_BACKOFF, NO_RESTARTS, planRestart, type RestartHistory } from './supervisor-policy.ts';

/** A process that crashes `after` ms after each start, restarted as planned: the delays, and the plans, in order. */
function crashLoop(times: number, after: number) {
  let clock = 0;
  let history: RestartHistory = NO_RESTARTS;
  const plans = [];
  for (let i = 0; i < times; i++) {
    const startedAt = clock;
    clock += after;
    const plan = planRestart(history, { startedAt, exitedAt: clock });
    plans.push(plan);
    history = plan.history;
    clock += plan.delayMs;
  }
  return plans;
}

describe('restart backoff', () => {
  test('a process crashing at start-up waits 1 s, then 2, 4, 8, then 30 s, the cap, once it counts as crashing', () => {
    expect(crashLoop(8, 50).map((p) => p.delayMs)).toEqual([1000, 2000, 4000, 8000, 30_000, 30_000, 30_000, 30_000]);
  });

  test('a process that crashes every minute and a bit, each time after a healthy run, is held to the cap once crashing', () => {
    // Each run resets the streak (so 1 s each time), but five restarts within five minutes is still a crash loop.
    expect(crashLoop(6, 61_000).map((p) => p.delayMs)).toEqual([1000, 1000, 1000, 1000, 30_000, 30_000]);
  });

  test('the fifth restart within five minutes reports the process as crashing, and it is still restarted', () => {
    const plans = crashLoop(7, 50);
    expect(plans.map((p) => p.crashing)).toEqual([false, false, false, false, true, true, true]);
    expect(plans.every((p) => Number.isFinite(p.delayMs) && p.delayMs <= DEFAULT_BACKOFF.maxMs)).toBe(true);
  });

  test('a process that ran a minute before exiting is restarted after 1 s again, its streak forgotten', () => {
    // Four quick restarts, spread out enough not to count as crashing.
    const history: RestartHistory = { streak: 4, recent: [] };
    expect(planRestart(history, { startedAt: 1_000, exitedAt: 1_010 }).delayMs).toBe(16_000);
    expect(planRestart(history, { startedAt: 1_000, exitedAt: 61_000 }).delayMs).toBe(1000);
    expect(planRestart(history, { startedAt: 1_000, exitedAt: 60_999 }).delayMs).toBe(16_000);
  });

  test('restarts older than the five-minute window no longer count towards crashing', () => {
    // One crash every two minutes, each after a healthy minute and a half: never five within five minutes.
    let history: RestartHistory = NO_RESTARTS;
    const crashing = [];
    for (let i = 0; i < 10; i++) {
      const plan = planRestart(history, { startedAt: i * 120_000, exitedAt: i * 120_000 + 90_000 });
      crashing.push(plan.crashing);
      history = plan.history;
    }
    expect(crashing.some(Boolean)).toBe(false);
    expect(history.recent.length).toBeLessThanOrEqual(3);
  });

  test('the schedule follows the given backoff, and a streak of thousands still waits the cap, not Infinity or NaN', () => {
    const backoff = { initialMs: 100, maxMs: 1500, resetAfterMs: 5000 };
    const loop = { restarts: 3, windowMs: 10_000 };
    let history: RestartHistory = NO_RESTARTS;
    const delays = [];
    for (let i = 0; i < 6; i++) {
      const plan = planRestart(history, { startedAt: i * 10_000, exitedAt: i * 10_000 + 1 }, backoff, loop);
      delays.push(plan.delayMs);
      history = plan.history;
    }
    expect(delays).toEqual([100, 200, 400, 800, 1500, 1500]);
    expect(planRestart({ streak: 5000, recent: [] }, { startedAt: 0, exitedAt: 1 }, backoff, loop).delayMs).toBe(1500);
  });
});
