import type Redis from 'ioredis';

/**
 * Every key matching `pattern`, a SCAN page at a time. SCAN rather than KEYS: a bench run leaves hundreds of thousands
 * of keys, and KEYS blocks Redis while it walks them. A key may come up twice (SCAN's guarantee is "at least once").
 */
export async function* scanKeys(redis: Redis, pattern: string, count = 1000): AsyncGenerator<string[]> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', count);
    cursor = next;
    if (keys.length > 0) yield keys;
  } while (cursor !== '0');
}

/** Every key matching `pattern`, sorted and without repeats. */
export async function listKeys(redis: Redis, pattern: string): Promise<string[]> {
  const found = new Set<string>();
  for await (const keys of scanKeys(redis, pattern)) for (const key of keys) found.add(key);
  return [...found].sort();
}

/** Deletes every key matching `pattern` page by page; returns how many were deleted. */
export async function deleteKeys(redis: Redis, pattern: string): Promise<number> {
  let removed = 0;
  for await (const keys of scanKeys(redis, pattern)) removed += await redis.del(...keys);
  return removed;
}
