/**
 * CORS for the ingestion routes only: browsers send events with a key that is public by design (as Segment's write
 * keys and PostHog's project keys are), so any origin may post. Nothing else on the edge sends CORS headers.
 */

/** On every ingestion answer, so a page can read the receipt and the headers a client must act on. */
export const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': 'Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset',
} as const;

// Fetch spec: a wildcard in Allow-Headers does not cover Authorization, so every header is named.
const PREFLIGHT_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'POST',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type, Content-Encoding',
  'Access-Control-Max-Age': '86400',
} as const;

/** The answer to `OPTIONS` on an ingestion route: 204, no key needed (browsers send preflights without credentials). */
export function preflight(): Response {
  return new Response(null, { status: 204, headers: PREFLIGHT_HEADERS });
}
