import { dlq, retry, type Outcome } from '../../outcomes.ts';

/** Every reason this sink reports; snake_case and fixed, so they are safe as metric labels. */
export const POSTGRES_REASONS = [
  // retry: the server or the network, not the event
  'postgres_unavailable',
  'postgres_overloaded',
  'postgres_conflict',
  'postgres_timeout',
  'postgres_error',
  // dlq: the event itself can never be stored as it is
  'invalid_value',
  'constraint_violation',
  'too_large',
  'invalid_sensor_reading',
] as const;
export type PostgresReason = (typeof POSTGRES_REASONS)[number];

/**
 * Error codes of the socket layer and of postgres.js itself (not SQLSTATEs): the connection never came up or went
 * away mid-query. None of them says anything about the events.
 */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
]);

const MAX_MESSAGE = 500;

function codeOf(error: unknown): string {
  if (typeof error !== 'object' || error === null) return '';
  const { code, errors } = error as { code?: unknown; errors?: unknown };
  if (typeof code === 'string') return code;
  // Node's happy-eyeballs connect reports one AggregateError for all addresses it tried; they share the cause.
  return Array.isArray(errors) && errors.length > 0 ? codeOf(errors[0]) : '';
}

function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text;
}

/**
 * Maps whatever a write threw to the Outcome of the events it was writing. Pure, so the table in retry.test.ts pins
 * it down. Only errors that are certainly about the data become `dlq`: anything unknown is retried, because dead-
 * lettering on (say) a missing table or a revoked grant would bin every event until an operator noticed, while a
 * retry just holds the partition until the fault is fixed.
 */
export function outcomeOfError(error: unknown): Outcome {
  const code = codeOf(error);
  const message = messageOf(error);
  if (CONNECTION_CODES.has(code)) return retry('postgres_unavailable', message);
  const sqlClass = code.length === 5 ? code.slice(0, 2) : '';
  switch (code) {
    case '57P01': // admin_shutdown
    case '57P02': // crash_shutdown
    case '57P03': // cannot_connect_now (starting up, recovering)
      return retry('postgres_unavailable', message);
    case '57014': // query_canceled: statement_timeout
    case '55P03': // lock_not_available: lock_timeout
      return retry('postgres_timeout', message);
    case '23505': // unique_violation: ON CONFLICT makes this a race (e.g. concurrent DDL), not a duplicate event
      return retry('postgres_conflict', message);
  }
  switch (sqlClass) {
    case '08': // connection_exception
      return retry('postgres_unavailable', message);
    case '53': // insufficient_resources: too many connections, out of memory, disk full
      return retry('postgres_overloaded', message);
    case '40': // transaction_rollback: serialization failure, deadlock
      return retry('postgres_conflict', message);
    case '22': // data_exception: NUL in text or jsonb, bad timestamp, number out of range
      return dlq('invalid_value', message);
    case '23': // integrity_constraint_violation: not null, check
      return dlq('constraint_violation', message);
    case '54': // program_limit_exceeded: value or row too large
      return dlq('too_large', message);
  }
  return retry('postgres_error', message);
}
