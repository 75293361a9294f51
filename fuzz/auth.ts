import { AUTH_CASES, type AuthCase } from './auth-cases.ts';
import type { FuzzRequest } from './request.ts';
import type { Rng } from './rng.ts';

export { AUTH_CASES, type AuthCase };

const MALFORMED = ['Bearer', 'Bearer ', 'Bearer  ', 'bearer', 'Basic !!!', 'Basic ', `Basic ${btoa(':')}`, 'Digest username="x"', 'Token abc', 'el_ingest_abc', '\t', 'Bearer a b'];
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const HUGE = [8_000, 16_300, 20_000, 100_000];

/** A secret in the product's format (el_<scope>_ and 43 base62 characters) that no key store holds. */
export function unknownSecret(rng: Rng): string {
  let body = '';
  for (let i = 0; i < 43; i++) body += ALPHABET[rng.int(62)];
  return `el_${rng.pick(['ingest', 'read', 'admin'])}_${body}`;
}

/** `req` with hostile credentials instead of the run's key: the case and the header, when the generator can write it. */
export function hostileAuth(rng: Rng, req: FuzzRequest): FuzzRequest {
  const which = rng.pick(AUTH_CASES);
  const headers = { ...req.headers };
  switch (which) {
    case 'malformed':
      headers.authorization = rng.pick(MALFORMED);
      break;
    case 'unknown':
      headers.authorization = rng.chance(0.7) ? `Bearer ${unknownSecret(rng)}` : `Basic ${btoa(`${unknownSecret(rng)}:`)}`;
      break;
    case 'huge':
      headers.authorization = `Bearer ${'k'.repeat(rng.pick(HUGE))}`;
      break;
    default:
      // none, revoked and wrong_scope: the run decides (revoked and wrong_scope need its keys).
      break;
  }
  return { ...req, headers, auth: which, kind: `auth_${which}` };
}

/** The keys a run was given: `ingest` for the edge, `read` for the gateway (the ingest key when absent). */
export interface RunKeys {
  readonly ingest?: string;
  readonly read?: string;
  readonly revoked?: string;
}

const bearer = (secret: string) => `Bearer ${secret}`;
// Used where a case needs a key the run was not given: refused the same way, as an unknown key.
const FALLBACK = `el_ingest_${'0'.repeat(43)}`;

/** The key a request with the run's own credentials sends to `target`, or undefined with none given. */
export function ownKey(keys: RunKeys, target: FuzzRequest['target']): string | undefined {
  return target === 'edge' ? keys.ingest : (keys.read ?? keys.ingest);
}

/** A key that lacks the scope of `target`'s routes, when the run has one: another target's own key. */
function wrongScopeKey(keys: RunKeys, target: FuzzRequest['target']): string | undefined {
  if (keys.ingest === undefined || keys.read === undefined || keys.ingest === keys.read) return undefined;
  return target === 'edge' ? keys.read : keys.ingest;
}

/**
 * The request as sent: the run's key for its target, or for a hostile case the credentials that case stands for.
 * A header the generator wrote (malformed, unknown, huge) is kept.
 */
export function withCredentials(req: FuzzRequest, keys: RunKeys): FuzzRequest {
  const set = (secret: string | undefined) => (secret === undefined ? req : { ...req, headers: { ...req.headers, authorization: bearer(secret) } });
  switch (req.auth) {
    case undefined:
      return set(ownKey(keys, req.target));
    case 'revoked':
      return set(keys.revoked ?? FALLBACK);
    case 'wrong_scope':
      return set(wrongScopeKey(keys, req.target) ?? FALLBACK);
    default:
      return req;
  }
}

// The routes that need a key whatever the body: the edge's ingestion routes and GraphQL.
const GUARDED = new Set(['POST /v1/events', 'POST /orders', 'POST /api/events', 'POST /events', 'POST /api/events/ingest', 'POST /data', 'POST /graphql', 'GET /graphql']);

/**
 * What a run with keys on must see for `req`: 'refused' when its credentials can never be accepted on a guarded
 * route, 'admitted' when it carries the run's own key (never 401; at the edge never 403 either), else undefined.
 */
export function expectation(req: FuzzRequest, keys: RunKeys): 'refused' | 'admitted' | undefined {
  if (!GUARDED.has(req.route)) return undefined;
  if (req.auth === undefined) return ownKey(keys, req.target) !== undefined ? 'admitted' : undefined;
  return 'refused';
}
