import type Redis from 'ioredis';

/**
 * The central token bucket of one key, one Redis hash `{tokens, at}`: refilled at `rate` per second up to `burst`
 * from Redis's own clock (so machines with skewed clocks share one bucket), then `need` to `want` whole tokens are
 * leased out, or none when fewer than `need` are left; then the reply says how long until `need` would fit. A missing
 * hash is a full bucket, and the hash expires once it would be full again, so idle keys cost Redis nothing.
 * Tokens are never handed back: a process's view of the level (plus refill since) is then an upper bound, which lets
 * it refuse without asking.
 */
const LEASE_LUA = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local need = tonumber(ARGV[3])
local want = tonumber(ARGV[4])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
elseif now > at then
  tokens = tokens + (now - at) * rate / 1000
  at = now
end
if tokens > burst then tokens = burst end
local granted = 0
local wait = 0
if tokens >= need then
  granted = math.min(want, math.floor(tokens))
  tokens = tokens - granted
else
  wait = math.ceil((need - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', at)
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) * 1000 / rate) + 1000)
return {granted, tostring(tokens), wait}
`;

const COMMAND = 'eventLensRateLease';

type LeaseClient = Redis & {
  [COMMAND](key: string, rate: number, burst: number, need: number, want: number): Promise<[number, string, number]>;
};

export interface Lease {
  /** Tokens handed out: 0, or from `need` to `want`. */
  readonly granted: number;
  /** Tokens left in the central bucket after this lease (fractional). */
  readonly level: number;
  /** When nothing was granted: milliseconds until `need` tokens will be there, if nobody else takes them. */
  readonly waitMs: number;
}

/** One round trip; ioredis sends EVALSHA and falls back to EVAL after a Redis restart (NOSCRIPT). */
export async function leaseTokens(redis: Redis, key: string, rate: number, burst: number, need: number, want: number): Promise<Lease> {
  const client = redis as LeaseClient;
  if (!(COMMAND in client)) redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: LEASE_LUA });
  const [granted, level, waitMs] = await client[COMMAND](key, rate, burst, need, want);
  return { granted: Number(granted), level: Number(level), waitMs: Number(waitMs) };
}
