/**
 * Credentials a run sends. A request names the case it stands for (`auth`); the run fills in the keys it was given,
 * so the generators stay pure and the same seed sends the same requests whatever the keys are.
 *   none         no Authorization header
 *   malformed    a header that is neither Bearer nor Basic, or one of them without a usable key
 *   unknown      a well-formed key nobody created
 *   revoked      a key that was created and revoked (--revoked-key; an unknown key without one)
 *   wrong_scope  a real key without the scope the route needs: the read key at the edge, the ingest key at the gateway
 *   huge         a Bearer key of 8 KB to 100 KB (past 16 KB the server answers 431 before any route runs)
 */
export const AUTH_CASES = ['none', 'malformed', 'unknown', 'revoked', 'wrong_scope', 'huge'] as const;
export type AuthCase = (typeof AUTH_CASES)[number];
