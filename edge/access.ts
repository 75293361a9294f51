import { parseCredentials } from '../shared/auth/credentials.ts';
import type { ApiKey, Scope } from '../shared/auth/keys.ts';
import type { RateDecision, RateLimiter } from '../shared/auth/rate-limit.ts';
import type { KeyVerifier, Verification } from '../shared/auth/verifier.ts';
import type { Access } from './key-access.ts';
import { rateLimitHeaders } from './rate-headers.ts';
import { EdgeError } from './errors.ts';
import { errorResponse, INGEST_HEADERS, type GuardedHandler, type IngestHandler } from './handler.ts';
import type { RouteKind } from './ingest.ts';
import type { EdgeMetrics } from './metrics.ts';

export type { Access } from './key-access.ts';

/** AUTH=off: every request may send any source, without limits. */
export const OPEN_ACCESS: Access = { source: null, admit: null };

export type Guard = (handler: GuardedHandler) => IngestHandler;

/** The ingestion routes without keys (AUTH=off, which server.ts only allows on loopback). */
export const openGuard: Guard = (handler) => (req, route, kind) => handler(req, route, kind, OPEN_ACCESS);

export interface RequireKeyOptions {
  /** The scope a key needs for the wrapped routes. */
  scope: Scope;
  verify: KeyVerifier;
  rateLimiter: RateLimiter;
  metrics: EdgeMetrics;
  /** Retry-After for auth_unavailable (the key store not answering). */
  retryAfterSeconds: number;
}

// RFC 6750 section 3 and RFC 7617: the schemes a client may answer with; Basic carries the key as its user name.
const CHALLENGE = 'Bearer realm="event-lens", Basic realm="event-lens"';

/**
 * Checks the request's key before its body is read: no credentials 401 missing_credentials, unknown or revoked 401
 * invalid_credentials, a key without `scope` 403 insufficient_scope, the key store unreachable 503 auth_unavailable.
 * A verified key's Access is built once and reused while the verifier keeps answering with the same key object, so a
 * request adds no allocation beyond the header read and the verifier's lookup.
 */
export function requireKey({ scope, verify, rateLimiter, metrics, retryAfterSeconds }: RequireKeyOptions): Guard {
  const accessByKey = new WeakMap<ApiKey, Access>();
  const refuse = (route: string, err: EdgeError) => {
    metrics.authRefusals.inc({ code: err.code });
    return errorResponse(metrics, route, err, INGEST_HEADERS);
  };

  function accessOf(key: ApiKey): Access {
    let access = accessByKey.get(key);
    if (access === undefined) {
      access = { source: key.source, admit: key.rate === null || key.burst === null ? null : admitter(key.id, key.rate, key.burst) };
      accessByKey.set(key, access);
    }
    return access;
  }

  function admitter(keyId: string, rate: number, burst: number) {
    return async function admit(n: number): Promise<RateDecision> {
      const decision = await rateLimiter(keyId, rate, burst, n);
      if (decision.ok) return decision;
      metrics.authRefusals.inc({ code: decision.code });
      throw rateRefusal(decision, n);
    };
  }

  function decide(verified: Verification, handler: GuardedHandler, req: Request, route: string, kind: RouteKind): Promise<Response> {
    if (!verified.ok) {
      if (verified.code === 'auth_unavailable') {
        return Promise.resolve(refuse(route, new EdgeError(503, 'auth_unavailable', 'the key store is not answering; retry after the delay', {}, { 'Retry-After': String(retryAfterSeconds) })));
      }
      return Promise.resolve(refuse(route, new EdgeError(401, 'invalid_credentials', 'unknown or revoked API key', {}, { 'WWW-Authenticate': CHALLENGE })));
    }
    if (!verified.key.scopes.includes(scope)) {
      const challenge = `Bearer realm="event-lens", error="insufficient_scope", scope="${scope}"`;
      return Promise.resolve(refuse(route, new EdgeError(403, 'insufficient_scope', `this key lacks the ${scope} scope`, { scope }, { 'WWW-Authenticate': challenge })));
    }
    return handler(req, route, kind, accessOf(verified.key));
  }

  // Not async: a key the verifier has cached is answered as a value, and the request goes on to the handler without
  // waiting a microtask.
  return (handler) =>
    function authenticated(req, route, kind) {
      const credentials = parseCredentials(req.headers);
      if (!credentials.ok) {
        const message = credentials.code === 'missing_credentials' ? 'send an API key: Authorization: Bearer <key>' : 'the Authorization header is not a Bearer or Basic credential';
        return Promise.resolve(refuse(route, new EdgeError(401, credentials.code, message, {}, { 'WWW-Authenticate': CHALLENGE })));
      }
      const verified = verify(credentials.secret);
      return verified instanceof Promise ? verified.then((v) => decide(v, handler, req, route, kind)) : decide(verified, handler, req, route, kind);
    };
}

function rateRefusal(decision: Extract<RateDecision, { ok: false }>, n: number): EdgeError {
  const headers = rateLimitHeaders(decision);
  if (decision.code === 'batch_exceeds_burst') {
    // Waiting never helps a batch larger than the burst, so no Retry-After: split it.
    return new EdgeError(429, 'batch_exceeds_burst', `this key admits at most ${decision.limit} events at once; the request carries ${n}: split it`, { limit: decision.limit, events: n }, headers);
  }
  headers['Retry-After'] = String(decision.retryAfterSeconds);
  if (decision.code === 'rate_limit_unavailable') {
    return new EdgeError(503, 'rate_limit_unavailable', 'rate limits cannot be checked right now; retry after the delay', {}, headers);
  }
  return new EdgeError(429, 'rate_limited', `this key's rate limit is used up; retry after ${decision.retryAfterSeconds} s`, { retry_after_seconds: decision.retryAfterSeconds }, headers);
}
