import type { RateDecision } from '../shared/auth/rate-limit.ts';

/**
 * What a checked key may do on the ingestion routes. access.ts decides who gets one (`requireKey` wraps the ingest
 * handler in both routers); the handler and ingest only receive it, so they import this type and not the guard.
 */
export interface Access {
  /** Stamped on events that name no source; an event naming another is rejected `source_not_allowed`. null: any source. */
  readonly source: string | null;
  /**
   * Takes a request's n events from the key's rate limit at once; throws the 429/503 EdgeError when they do not fit,
   * else returns the decision for the RateLimit-* headers. null for keys without a rate: no Redis call at all.
   */
  readonly admit: ((n: number) => Promise<RateDecision>) | null;
}
