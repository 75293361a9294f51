/**
 * Waiting for what happens asynchronously (a consumer catching up, a store refreshing). Each wait has a bound and
 * names what it waited for when it gives up; none of them is a timing assertion.
 */

/** Polls `check` every `everyMs` until it is true; throws naming `what` once `timeoutMs` passed. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms`);
    await Bun.sleep(everyMs);
  }
}

/** Polls until `check` gives a truthy value and returns it; throws naming `what` once `timeoutMs` passed. */
export async function eventually<T>(check: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 30_000): Promise<T> {
  let value: T | undefined | false;
  await waitFor(async () => Boolean((value = await check())), timeoutMs, what);
  return value as T;
}

/** For waitFor: a check that throws (a store briefly refusing a read, e.g. an index whose shard is still starting) reads as "not yet". */
export const readable = (check: () => Promise<boolean>) => (): Promise<boolean> => check().catch(() => false);
