import type Redis from 'ioredis';

function ignore(): void {}

/**
 * Resolves true once the client is connected, false as soon as it is clear it will not be soon. The workers' sink
 * and the gateway run ioredis with the offline queue off (a command sent while connecting fails although Redis is
 * fine), so they wait here first. A client in reconnect backoff answers false at once: the caller's own backoff is
 * the place to wait, not this call.
 */
export function whenRedisConnected(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  if (redis.status === 'end' || redis.status === 'reconnecting') return Promise.resolve(false);
  if (redis.status === 'wait') redis.connect().catch(ignore);
  return new Promise((resolve) => {
    const settle = (connected: boolean) => () => {
      clearTimeout(timer);
      for (const [event, listener] of listeners) redis.off(event, listener);
      resolve(connected);
    };
    const listeners: Array<[string, () => void]> = [
      ['ready', settle(true)],
      ['error', settle(false)],
      ['reconnecting', settle(false)],
      ['end', settle(false)],
    ];
    for (const [event, listener] of listeners) redis.once(event, listener);
    const timer = setTimeout(settle(false), timeoutMs);
  });
}
