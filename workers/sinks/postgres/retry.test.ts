import { describe, expect, test } from 'bun:test';
import { outcomeOfError, POSTGRES_REASONS } from './retry.ts';

/** Shaped like what postgres.js rejects with: PostgresError carries the SQLSTATE, socket errors the errno name. */
const pgError = (code: string, message = `error ${code}`) => Object.assign(new Error(message), { code });

// [what went wrong, expected outcome type, expected reason, what was thrown]
const cases: Array<[string, 'retry' | 'dlq', string, unknown]> = [
  ['the server refuses the connection', 'retry', 'postgres_unavailable', pgError('ECONNREFUSED')],
  ['the connection resets mid-query', 'retry', 'postgres_unavailable', pgError('ECONNRESET')],
  ['the host name does not resolve', 'retry', 'postgres_unavailable', pgError('ENOTFOUND')],
  ['postgres.js sees the connection close', 'retry', 'postgres_unavailable', pgError('CONNECTION_CLOSED')],
  ['the pool was ended', 'retry', 'postgres_unavailable', pgError('CONNECTION_ENDED')],
  ['connecting times out', 'retry', 'postgres_unavailable', pgError('CONNECT_TIMEOUT')],
  ['every address refuses (AggregateError)', 'retry', 'postgres_unavailable', new AggregateError([pgError('ECONNREFUSED')], 'connect failed')],
  ['an admin shuts the server down', 'retry', 'postgres_unavailable', pgError('57P01')],
  ['the server is still starting up', 'retry', 'postgres_unavailable', pgError('57P03')],
  ['the server reports a connection failure', 'retry', 'postgres_unavailable', pgError('08006')],
  ['there are too many connections', 'retry', 'postgres_overloaded', pgError('53300')],
  ['the disk is full', 'retry', 'postgres_overloaded', pgError('53100')],
  ['a serializable transaction loses', 'retry', 'postgres_conflict', pgError('40001')],
  ['a deadlock is detected', 'retry', 'postgres_conflict', pgError('40P01')],
  ['a concurrent DDL races on a unique index', 'retry', 'postgres_conflict', pgError('23505')],
  ['statement_timeout cancels the insert', 'retry', 'postgres_timeout', pgError('57014')],
  ['a lock is not available in time', 'retry', 'postgres_timeout', pgError('55P03')],
  ['a table is missing', 'retry', 'postgres_error', pgError('42P01')],
  ['permission is denied', 'retry', 'postgres_error', pgError('42501')],
  ['something that is not an Error is thrown', 'retry', 'postgres_error', 'boom'],
  ['a value is not valid text for its type', 'dlq', 'invalid_value', pgError('22P02')],
  ['jsonb refuses \\u0000', 'dlq', 'invalid_value', pgError('22P05')],
  ['text holds a NUL byte', 'dlq', 'invalid_value', pgError('22021')],
  ['a timestamp is out of range', 'dlq', 'invalid_value', pgError('22008')],
  ['a number is out of range', 'dlq', 'invalid_value', pgError('22003')],
  ['a required column is null', 'dlq', 'constraint_violation', pgError('23502')],
  ['a check constraint fails', 'dlq', 'constraint_violation', pgError('23514')],
  ['a value is too large to store', 'dlq', 'too_large', pgError('54000')],
];

describe('a postgres error becomes the outcome of the events it was writing', () => {
  test.each(cases)('when %s the events are %s with %s', (_, type, reason, error) => {
    expect(outcomeOfError(error)).toMatchObject({ type, reason });
  });

  test('every reason reported for an error is in the published list', () => {
    const reasons = new Set(cases.map(([, , , error]) => (outcomeOfError(error) as { reason: string }).reason));
    expect([...reasons].filter((r) => !(POSTGRES_REASONS as readonly string[]).includes(r))).toEqual([]);
  });

  test('the server message is kept for the dead-letter record, cut to a bounded length', () => {
    expect(outcomeOfError(pgError('22P05', 'unsupported Unicode escape sequence'))).toEqual({
      type: 'dlq',
      reason: 'invalid_value',
      message: 'unsupported Unicode escape sequence',
    });
    const long = outcomeOfError(pgError('22P02', 'x'.repeat(10_000))) as { message: string };
    expect(long.message.length).toBeLessThanOrEqual(501);
  });
});
