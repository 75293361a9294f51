import { storeReaders, STORES, topicLag, type PartitionLag, type StoreName, type StoreTargets } from './check.ts';

export interface Settled {
  readonly lag?: readonly PartitionLag[];
  /** Why the lag could not be read, when it could not. */
  readonly lagError?: string;
  readonly missing: Record<StoreName, readonly string[]>;
  readonly seconds: number;
}

const total = (lag: readonly PartitionLag[]) => lag.reduce((sum, p) => sum + p.lag, 0n);

/**
 * Waits, at most `maxSeconds`, until the workers' group has committed everything on the topic and every accepted id
 * is in all three stores, logging progress every few seconds; then reports what is still missing or uncommitted.
 * Only ids still missing are looked up again, so each round is cheaper than the last.
 */
export async function settle(targets: StoreTargets, ids: readonly string[], maxSeconds: number, log: (line: string) => void): Promise<Settled> {
  const started = performance.now();
  const deadline = started + maxSeconds * 1000;
  const readers = storeReaders(targets);
  let missing: Record<StoreName, readonly string[]> = { elasticsearch: ids, postgres: ids, redis: ids };
  let lag: readonly PartitionLag[] | undefined;
  let lagError: string | undefined;
  const elapsed = () => ((performance.now() - started) / 1000).toFixed(0);
  try {
    for (let round = 0; ; round++) {
      try {
        lag = await topicLag(targets);
        lagError = undefined;
      } catch (error) {
        lagError = (error as Error).message;
      }
      const left = lag ? total(lag) : undefined;
      const last = performance.now() > deadline;
      // While the group is behind, the stores are too: look them up only once it has caught up (and at the end).
      if (left === 0n || last || round % 5 === 4) missing = await readers.missing(missing);
      const missingCount = STORES.map((s) => `${s} ${missing[s].length}`).join(', ');
      const done = left === 0n && STORES.every((s) => missing[s].length === 0);
      log(`settle ${elapsed()}s/${maxSeconds}s: lag ${left ?? `unknown (${lagError})`}; missing ${missingCount}`);
      if (done || last) break;
      await Bun.sleep(Math.min(3000, Math.max(0, deadline - performance.now())));
    }
  } finally {
    await readers.close();
  }
  return { lag, lagError, missing, seconds: (performance.now() - started) / 1000 };
}
