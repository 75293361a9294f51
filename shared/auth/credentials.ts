/**
 * The secret a request carries, as the common SDKs send it: `Authorization: Bearer <key>`, or HTTP Basic with the key
 * as user name and any password (Segment's and RudderStack's SDKs send `Basic base64(writeKey + ':')`).
 */
export type Credentials =
  | { readonly ok: true; readonly secret: string }
  | { readonly ok: false; readonly code: 'missing_credentials' | 'invalid_credentials' };

interface HeaderSource {
  get(name: string): string | null;
}

// Far above any real header (a secret is 53 characters, Basic adds a third plus a password); bounds the decoding work.
const MAX_HEADER = 1024;
// RFC 6750 token68 for Bearer, and for the base64 of Basic (RFC 7617), which also rules out what atob would skip.
const TOKEN68 = /^[A-Za-z0-9._~+/-]+=*$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

const missing: Credentials = { ok: false, code: 'missing_credentials' };
const invalid: Credentials = { ok: false, code: 'invalid_credentials' };

/** Pure and O(header length); no header at all is `missing_credentials`, anything unreadable `invalid_credentials`. */
export function parseCredentials(headers: HeaderSource): Credentials {
  const header = headers.get('authorization');
  if (header === null || header === '') return missing;
  if (header.length > MAX_HEADER) return invalid;
  const space = header.indexOf(' ');
  if (space <= 0) return invalid;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer') return TOKEN68.test(value) ? { ok: true, secret: value } : invalid;
  if (scheme !== 'basic' || !BASE64.test(value)) return invalid;
  let decoded: string;
  try {
    decoded = atob(value);
  } catch {
    return invalid;
  }
  const colon = decoded.indexOf(':');
  // RFC 7617: user-id ":" password; the password is ignored, the key is the user name.
  if (colon <= 0) return invalid;
  return { ok: true, secret: decoded.slice(0, colon) };
}
