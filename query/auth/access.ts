import { parseCredentials } from '../../shared/auth/credentials.ts';
import type { ApiKey, Scope } from '../../shared/auth/keys.ts';
import type { KeyVerifier } from '../../shared/auth/verifier.ts';

/** Why a request was refused for its key; clients branch on these, so they are never renamed. */
export type AuthCode = 'missing_credentials' | 'invalid_credentials' | 'insufficient_scope' | 'auth_unavailable';

export interface Refusal {
  readonly status: 401 | 403 | 503;
  readonly code: AuthCode;
  readonly message: string;
  /** The scope the request lacked (insufficient_scope only). */
  readonly scope?: Scope;
  readonly headers: Readonly<Record<string, string>>;
}

/** Who sent a request: a verified key, or null with AUTH=off (then every scope is granted). */
export type Identity = { readonly ok: true; readonly key: ApiKey | null } | { readonly ok: false; readonly refusal: Refusal };

export interface Access {
  readonly mode: 'on' | 'off';
  /** Reads and verifies the request's key once; later calls for the same request share the answer. */
  identify(request: Request): Promise<Identity>;
  /** The refusal when `key` lacks one of `scopes`, else undefined. */
  authorize(key: ApiKey | null, scopes: Iterable<Scope>): Refusal | undefined;
}

// RFC 6750 section 3 and RFC 7617: the schemes a client may answer with; Basic carries the key as its user name.
const CHALLENGE = 'Bearer realm="event-lens", Basic realm="event-lens"';

const refusal = (status: Refusal['status'], code: AuthCode, message: string, headers: Record<string, string>, scope?: Scope): Refusal => ({
  status, code, message, headers, ...(scope && { scope }),
});

export interface AccessOptions {
  readonly mode: 'on' | 'off';
  /** Checks a secret against the key store (shared/auth/verifier.ts); unused with AUTH=off. */
  readonly verify: KeyVerifier;
  /** Retry-After of auth_unavailable. */
  readonly retryAfterSeconds?: number;
  /** Called with the code of every refusal (query_auth_refusals_total). */
  readonly onRefuse?: (code: AuthCode) => void;
}

/**
 * The one place that decides who may call the gateway: the REST router and the GraphQL plugin ask it, handlers and
 * resolvers never look at keys. Scopes are explicit: a key with `admin` but not `read` cannot read events.
 */
export function createAccess({ mode, verify, retryAfterSeconds = 1, onRefuse = () => {} }: AccessOptions): Access {
  const open: Identity = { ok: true, key: null };
  const identities = new WeakMap<Request, Promise<Identity>>();

  function refused(r: Refusal): Identity {
    onRefuse(r.code);
    return { ok: false, refusal: r };
  }

  async function check(request: Request): Promise<Identity> {
    const credentials = parseCredentials(request.headers);
    if (!credentials.ok) {
      const message = credentials.code === 'missing_credentials'
        ? 'send an API key with the read or admin scope: Authorization: Bearer <key>'
        : 'the Authorization header is not a Bearer or Basic credential';
      return refused(refusal(401, credentials.code, message, { 'www-authenticate': CHALLENGE }));
    }
    const verified = await verify(credentials.secret);
    if (verified.ok) return { ok: true, key: verified.key };
    if (verified.code === 'auth_unavailable') {
      return refused(refusal(503, 'auth_unavailable', 'the key store is not answering; retry after the delay', { 'retry-after': String(retryAfterSeconds) }));
    }
    return refused(refusal(401, 'invalid_credentials', 'unknown or revoked API key', { 'www-authenticate': CHALLENGE }));
  }

  return {
    mode,
    identify(request) {
      if (mode === 'off') return Promise.resolve(open);
      let identity = identities.get(request);
      if (identity === undefined) {
        identity = check(request);
        identities.set(request, identity);
      }
      return identity;
    },
    authorize(key, scopes) {
      if (mode === 'off') return undefined;
      for (const scope of scopes) {
        if (key?.scopes.includes(scope)) continue;
        onRefuse('insufficient_scope');
        const challenge = `Bearer realm="event-lens", error="insufficient_scope", scope="${scope}"`;
        return refusal(403, 'insufficient_scope', `this key lacks the ${scope} scope`, { 'www-authenticate': challenge }, scope);
      }
      return undefined;
    },
  };
}
