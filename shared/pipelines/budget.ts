/**
 * A bound on one run of a pipeline's steps where a person waits for the answer (the gateway's dry run): so many step
 * results, so much time. The workers run without one; their work is bounded by batch size and the definition limits.
 */
export class BudgetExceeded extends Error {
  override readonly name = 'BudgetExceeded';
  constructor(
    /** Which bound: `items` or `time`. */
    readonly bound: 'items' | 'time',
    /** The bound's value: items, or milliseconds. */
    readonly max: number,
    /** Index of the step that was running. */
    readonly step: number,
  ) {
    super(bound === 'items' ? `more than ${max} step results (at step ${step})` : `more than ${max} ms of work (at step ${step})`);
  }
}

/** Charges `items` step results to the run; throws BudgetExceeded once past either bound. */
export type Budget = (items: number, step: number) => void;

export function createBudget({ maxItems, maxMs, now = () => performance.now() }: { maxItems: number; maxMs: number; now?: () => number }): Budget {
  const deadline = now() + maxMs;
  let spent = 0;
  return function spend(items: number, step: number): void {
    spent += items;
    if (spent > maxItems) throw new BudgetExceeded('items', maxItems, step);
    if (now() > deadline) throw new BudgetExceeded('time', maxMs, step);
  };
}
