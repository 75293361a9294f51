import type { RateDecision } from '../shared/auth/rate-limit.ts';

/**
 * RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset as draft-ietf-httpapi-ratelimit-headers-07 defines them:
 * the key's burst, what is left of it now (an estimate, never above the truth), and seconds until it is full again.
 */
export function rateLimitHeaders(decision: RateDecision): Record<string, string> {
  return { 'RateLimit-Limit': String(decision.limit), 'RateLimit-Remaining': String(decision.remaining), 'RateLimit-Reset': String(decision.resetSeconds) };
}
