import { errors as esErrors } from '@elastic/elasticsearch';
import { GraphQLError } from 'graphql';
import type { KeyError, KeyErrorCode } from '../shared/auth/errors.ts';
import type { AuthCode } from './auth/access.ts';

/** The stores the gateway reads; `kafka` is the dead-letter topic. */
export type StoreName = 'elasticsearch' | 'postgres' | 'redis' | 'kafka';

/** Codes a client can branch on; anything else reaching a client is INTERNAL_SERVER_ERROR (masked). */
export type ErrorCode = 'BAD_USER_INPUT' | 'NOT_FOUND' | 'STORE_UNAVAILABLE' | LimitCode | RefusalCode | KeyErrorCode;

/** A request refused before anything ran: for its key (auth/access.ts) or for not being JSON (a cross-site form). */
export type RefusalCode = AuthCode | 'unsupported_media_type';

/** A request refused by a limit (limits.ts, plugins/use-document-limits.ts, plugins/use-subscription-cap.ts). */
export type LimitCode =
  | 'query_too_large'
  | 'too_many_aliases'
  | 'too_many_directives'
  | 'QUERY_TOO_DEEP'
  | 'QUERY_TOO_COSTLY'
  | 'too_many_subscriptions';

/**
 * The error for a request over a limit: `limit` is the setting's value, the rest says what was measured. 400 because
 * the request itself is at fault; 429 for a cap on what a client holds open at once.
 */
export function limitError(code: LimitCode, message: string, extra: Record<string, unknown> & { limit: number }, status = 400): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extra, http: fixedStatus(status) } });
}

/**
 * yoga marks every parse and validation error as a GraphQL-over-HTTP status (`http.spec ||= true`), which an
 * `Accept: application/json` answer turns into 200. A refused request is the client's fault whatever it accepts, so
 * `spec` reads false and ignores that write.
 */
function fixedStatus(status: number, headers?: Record<string, string>) {
  return {
    status,
    ...(headers && { headers }),
    get spec() {
      return false;
    },
    set spec(_: boolean) {},
  };
}

/** The error for a refused request; `extensions.http` carries the status and headers (WWW-Authenticate, Retry-After). */
export function refusalError(code: RefusalCode, message: string, status: number, headers: Record<string, string> = {}, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extra, http: fixedStatus(status, headers) } });
}

/** A key the admin asked for is refused (shared/auth/errors.ts): the same code, field and index `npm run keys` reports. */
export function keyFieldError(error: KeyError): GraphQLError {
  return new GraphQLError(error.message, {
    extensions: { code: error.code, path: error.path, ...(error.index !== undefined && { index: error.index }), http: fixedStatus(error.status) },
  });
}

export function badInput(message: string, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', ...extra } });
}

/** A store that is down or too slow: the field is null, the rest of the query still answers. */
export class StoreUnavailable extends GraphQLError {
  constructor(
    readonly store: StoreName,
    cause?: unknown,
  ) {
    // The cause's text stays in the logs: connection errors carry host names a client has no business seeing.
    super(`${store} is unavailable`, { extensions: { code: 'STORE_UNAVAILABLE', store }, originalError: undefined });
    if (cause !== undefined) Object.defineProperty(this, 'cause', { value: cause, enumerable: false });
  }
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EPIPE', 'EAI_AGAIN', 'ConnectionRefused']);
// postgres.js' own connection codes, and SQLSTATE classes 08 (connection), 53 (resources), 57P0x (shutdown/cancel).
const PG_CODES = new Set(['CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', '57014']);

const codeOf = (error: unknown): string => String((error as { code?: unknown } | null)?.code ?? '');

/** One failed search inside an msearch: the client does not throw for those, so the item's status comes along. */
export class SearchItemError extends Error {
  override readonly name = 'SearchItemError';
  constructor(
    readonly status: number,
    readonly type: string,
    reason: string,
  ) {
    super(`search failed (${status} ${type}): ${reason}`);
  }
}

function isElasticsearchOutage(error: unknown): boolean {
  if (error instanceof SearchItemError) return error.status === 429 || error.status >= 500;
  if (error instanceof esErrors.ConnectionError || error instanceof esErrors.TimeoutError) return true;
  if (error instanceof esErrors.NoLivingConnectionsError) return true;
  if (error instanceof esErrors.ResponseError) return error.statusCode === 429 || (error.statusCode ?? 0) >= 500;
  return false;
}

function isPostgresOutage(error: unknown): boolean {
  const code = codeOf(error);
  return NETWORK_CODES.has(code) || PG_CODES.has(code) || /^(08|53|57P0)/.test(code);
}

/**
 * ioredis reports outages as plain Errors (closed stream, timeout, retries exhausted); a ReplyError is Redis refusing
 * the command itself (wrong type), which is a bug here rather than an outage.
 */
function isRedisOutage(error: unknown): boolean {
  if (!(error instanceof Error) || error.name === 'ReplyError') return false;
  if (NETWORK_CODES.has(codeOf(error)) || error.name === 'MaxRetriesPerRequestError') return true;
  return /connect|connection|closed|writeable|timed out|timeout/i.test(error.message);
}

const OUTAGE: Record<StoreName, (error: unknown) => boolean> = {
  elasticsearch: isElasticsearchOutage,
  postgres: isPostgresOutage,
  redis: isRedisOutage,
  kafka: () => true,
};

/**
 * Turns a store failure into StoreUnavailable and leaves everything else alone, so a bug still surfaces as a masked
 * INTERNAL_SERVER_ERROR instead of being passed off as an outage.
 */
export function storeError(store: StoreName, error: unknown): unknown {
  if (error instanceof GraphQLError) return error;
  return OUTAGE[store](error) ? new StoreUnavailable(store, error) : error;
}

/** Runs one store read, translating its failure (see storeError). */
export async function fromStore<T>(store: StoreName, read: () => Promise<T>, onOutage?: (store: StoreName) => void): Promise<T> {
  try {
    return await read();
  } catch (error) {
    const translated = storeError(store, error);
    if (translated instanceof StoreUnavailable) onOutage?.(store);
    throw translated;
  }
}

/** Postgres' "relation does not exist": nothing has been written (no migration yet), which reads as empty. */
export const isMissingTable = (error: unknown): boolean => codeOf(error) === '42P01' || codeOf(error) === '3F000';
