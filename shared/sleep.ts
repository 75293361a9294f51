/**
 * Resolves after `ms`, or as soon as `signal` aborts: a worker's shutdown must not wait out a 10 s backoff, and a
 * gateway subscription must stop ticking when its subscriber goes away.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
