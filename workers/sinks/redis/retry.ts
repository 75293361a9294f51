import { dlq, retry, type Outcome } from '../../outcomes.ts';

/**
 * Every reason the Redis sink reports; metric labels, so the set is fixed. Retry reasons are about Redis' state
 * (it will get better on its own), dlq reasons about the event or our keys (retrying cannot help).
 */
export const REDIS_SINK_REASONS = [
  'redis_unavailable',
  'redis_loading',
  'redis_busy',
  'redis_tryagain',
  'redis_clusterdown',
  'redis_oom',
  'redis_noscript',
  'redis_error',
  'redis_wrongtype',
  'redis_script_error',
  'invalid_event',
] as const;
export type RedisSinkReason = (typeof REDIS_SINK_REASONS)[number];

// Socket-level codes from node:net / dns: the server is unreachable, not wrong.
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

// Messages ioredis itself produces when there is no usable connection (it has no error codes for them).
const CONNECTION_MESSAGES = [
  'Connection is closed',
  "Stream isn't writeable",
  'Command timed out',
  'Reached the max retries per request limit',
  'connect ETIMEDOUT',
  'Redis sink is closed',
];

// Redis error-reply prefixes. Inside a script Redis 7 keeps the prefix of the failing command's error
// ("WRONGTYPE ... script: <sha>, on @user_script:12."), and an older server may put it after "ERR ", so the
// code is looked for as a word near the start rather than only as the first token.
const REPLY_CODES: ReadonlyArray<[RegExp, Outcome['type'], RedisSinkReason]> = [
  [/^(?:ERR\s+)?LOADING\b/, 'retry', 'redis_loading'],
  [/^(?:ERR\s+)?BUSY\b/, 'retry', 'redis_busy'],
  [/^(?:ERR\s+)?TRYAGAIN\b/, 'retry', 'redis_tryagain'],
  [/^(?:ERR\s+)?CLUSTERDOWN\b/, 'retry', 'redis_clusterdown'],
  [/^(?:ERR\s+)?OOM\b/, 'retry', 'redis_oom'],
  [/^(?:ERR\s+)?NOSCRIPT\b/, 'retry', 'redis_noscript'],
  // A replica promoted away from us, or a master that lost its replicas: transient topology states.
  [/^(?:ERR\s+)?(READONLY|MASTERDOWN)\b/, 'retry', 'redis_unavailable'],
  [/^(?:ERR\s+)?WRONGTYPE\b/, 'dlq', 'redis_wrongtype'],
];

interface ErrorLike {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
}

const asErrorLike = (error: unknown): ErrorLike => (typeof error === 'object' && error !== null ? (error as ErrorLike) : {});

/**
 * Maps anything the Redis client or the record script can fail with to the Outcome of the events it affected.
 * Strings are error replies as the record script returns them per event. Pure; never throws.
 *
 * Unrecognised server replies are dlq (the server understood and refused: our script or keys are wrong, retrying
 * repeats it), while unrecognised client-side errors are retried (most likely transport trouble we did not list, and
 * retrying keeps the event rather than dead-lettering a healthy one).
 */
export function outcomeOfRedisError(error: unknown): Outcome {
  const { name, code, message: rawMessage } = asErrorLike(error);
  const message = typeof error === 'string' ? error : typeof rawMessage === 'string' ? rawMessage : String(error);
  const isReply = typeof error === 'string' || name === 'ReplyError';
  if (name === 'MaxRetriesPerRequestError') return retry('redis_unavailable', message);
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return retry('redis_unavailable', message);
  if (!isReply && CONNECTION_MESSAGES.some((m) => message.includes(m))) return retry('redis_unavailable', message);
  const reply = message.trimStart();
  for (const [pattern, type, reason] of REPLY_CODES) {
    if (pattern.test(reply)) return type === 'retry' ? retry(reason, message) : dlq(reason, message);
  }
  return isReply ? dlq('redis_script_error', message) : retry('redis_error', message);
}

/** The outcome of every event in a write when no connection could be had. */
export const unavailable = (message?: string): Outcome => retry('redis_unavailable', message);
