import type { ContentfulStatusCode } from 'hono/utils/http-status';

/**
 * The only exception edge throws on purpose: it carries the HTTP status, a stable snake_case code clients can
 * branch on, and optional details (position, limit, field path). app.ts turns it into the JSON error body.
 */
export class EdgeError extends Error {
  override readonly name = 'EdgeError';
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: EdgeErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toJSON() {
    return { error: { code: this.code, message: this.message, ...this.details } };
  }
}

export const EDGE_ERROR_CODES = [
  'malformed_json',
  'malformed_gzip',
  'empty_body',
  'invalid_body',
  'body_too_large',
  'event_too_large',
  'too_many_events',
  'unsupported_media_type',
  'unsupported_encoding',
  'not_found',
  'overloaded',
  'broker_unavailable',
  'internal_error',
  'missing_credentials',
  'invalid_credentials',
  'insufficient_scope',
  'auth_unavailable',
  'rate_limited',
  'batch_exceeds_burst',
  'rate_limit_unavailable',
] as const;
export type EdgeErrorCode = (typeof EDGE_ERROR_CODES)[number];
