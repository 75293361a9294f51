import { GraphQLError } from 'graphql';
import { KeyError } from '../../shared/auth/errors.ts';
import { StoreUnavailable } from '../errors.ts';

/** A REST answer that is the client's fault; rendered like the edge's errors: {error: {code, message, ...}}. */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const json = (body: unknown, status = 200): Response => Response.json(body, { status });

export async function jsonBody(request: Request): Promise<unknown> {
  try {
    return await request.json();
  } catch {
    throw new RestError(400, 'invalid_json', 'the request body is not JSON');
  }
}

export function errorResponse(error: unknown, log: (...args: unknown[]) => void): Response {
  if (error instanceof RestError) return json({ error: { code: error.code, message: error.message, ...error.details } }, error.status);
  if (error instanceof KeyError) {
    return json({ error: { code: error.code, message: error.message, path: error.path, ...(error.index !== undefined && { index: error.index }) } }, error.status);
  }
  if (error instanceof StoreUnavailable) {
    return json({ error: { code: 'store_unavailable', message: error.message, store: error.store } }, 503);
  }
  if (error instanceof GraphQLError && error.extensions['code'] === 'BAD_USER_INPUT') {
    return json({ error: { code: 'invalid_parameter', message: error.message } }, 400);
  }
  const incident = crypto.randomUUID();
  log(`query: unexpected REST error (incident ${incident})`, error);
  return json({ error: { code: 'internal_error', message: 'internal error', incident } }, 500);
}

/**
 * A time parameter as the older services took it: epoch seconds, epoch milliseconds (13+ digits), or an ISO 8601
 * date-time. Missing or empty is null (open range).
 */
export function timeParam(params: URLSearchParams, name: string): number | null {
  const raw = params.get(name)?.trim();
  if (!raw) return null;
  if (/^\d+(\.\d+)?$/.test(raw)) {
    const n = Number(raw);
    return n < 1e11 ? Math.round(n * 1000) : Math.round(n);
  }
  const ms = Date.parse(raw);
  if (/^\d{4}-\d{2}-\d{2}/.test(raw) && Number.isFinite(ms)) return ms;
  throw new RestError(400, 'invalid_parameter', `${name} must be epoch seconds, epoch milliseconds or an ISO 8601 date-time`, { parameter: name });
}

export function limitParam(params: URLSearchParams, max: number, fallback: number): number {
  const raw = params.get('limit');
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new RestError(400, 'invalid_parameter', `limit must be an integer between 1 and ${max}`, { parameter: 'limit' });
  }
  return n;
}

export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
