import { describe, expect, test } from 'bun:test';
import { ReplyError } from 'ioredis';
import { REDIS_SINK_REASONS, outcomeOfRedisError } from './retry.ts';

const reply = (message: string): Error => new ReplyError(message) as Error;
const withCode = (message: string, code: string): Error => Object.assign(new Error(message), { code });
const named = (message: string, name: string): Error => Object.assign(new Error(message), { name });

// [what went wrong, what Redis or ioredis produced, outcome type, reason]
const cases: Array<[string, unknown, 'retry' | 'dlq', string]> = [
  ['the server refuses connections', withCode('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED'), 'retry', 'redis_unavailable'],
  ['the connect times out', withCode('connect ETIMEDOUT', 'ETIMEDOUT'), 'retry', 'redis_unavailable'],
  ['the connection is reset mid-write', withCode('read ECONNRESET', 'ECONNRESET'), 'retry', 'redis_unavailable'],
  ['the host name does not resolve', withCode('getaddrinfo ENOTFOUND redis', 'ENOTFOUND'), 'retry', 'redis_unavailable'],
  ['ioredis lost the connection', new Error('Connection is closed.'), 'retry', 'redis_unavailable'],
  ['a command is issued while offline', new Error("Stream isn't writeable and enableOfflineQueue options is false"), 'retry', 'redis_unavailable'],
  ['a command gets no answer in time', new Error('Command timed out'), 'retry', 'redis_unavailable'],
  [
    'ioredis gives up reconnecting for a command',
    named('Reached the max retries per request limit (which is 1). Refer to "maxRetriesPerRequest" option for details.', 'MaxRetriesPerRequestError'),
    'retry',
    'redis_unavailable',
  ],
  ['the server is loading its dataset', reply('LOADING Redis is loading the dataset in memory'), 'retry', 'redis_loading'],
  ['another script is running too long', reply('BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.'), 'retry', 'redis_busy'],
  ['a cluster slot is migrating', reply('TRYAGAIN Multiple keys request during rehashing of slot'), 'retry', 'redis_tryagain'],
  ['the cluster is down', reply('CLUSTERDOWN The cluster is down'), 'retry', 'redis_clusterdown'],
  ['memory is full', reply("OOM command not allowed when used memory > 'maxmemory'."), 'retry', 'redis_oom'],
  ['memory is full inside the script', "OOM command not allowed when used memory > 'maxmemory'. script: 1a2b, on @user_script:14.", 'retry', 'redis_oom'],
  ['the script cache was flushed', reply('NOSCRIPT No matching script. Please use EVAL.'), 'retry', 'redis_noscript'],
  ['we are talking to a replica after failover', reply("READONLY You can't write against a read only replica."), 'retry', 'redis_unavailable'],
  ['an old server prefixes the code with ERR', reply('ERR LOADING Redis is loading the dataset in memory'), 'retry', 'redis_loading'],
  ['a key has the wrong type (plain command)', reply('WRONGTYPE Operation against a key holding the wrong kind of value'), 'dlq', 'redis_wrongtype'],
  [
    'a key has the wrong type inside the script (per-event reply)',
    'WRONGTYPE Operation against a key holding the wrong kind of value',
    'dlq',
    'redis_wrongtype',
  ],
  ['the script has a bug', 'user_script:12: attempt to concatenate a nil value', 'dlq', 'redis_script_error'],
  ['the script calls an unknown command', reply('ERR Unknown Redis command called from script script: 19965f, on @user_script:1.'), 'dlq', 'redis_script_error'],
  ['a reply mentions "Connection is closed" as text', reply('ERR Connection is closed by the script'), 'dlq', 'redis_script_error'],
  ['an unknown client-side error happens', new TypeError('something odd'), 'retry', 'redis_error'],
  ['something that is not an Error is thrown', 42, 'retry', 'redis_error'],
];

describe('Redis errors map to an outcome the worker can act on', () => {
  test.each(cases)('when %s the events get the expected outcome', (_, error, type, reason) => {
    expect(outcomeOfRedisError(error)).toMatchObject({ type, reason });
  });

  test('the message is kept for the dead-letter record and logs', () => {
    expect(outcomeOfRedisError(reply('OOM command not allowed'))).toEqual({ type: 'retry', reason: 'redis_oom', message: 'OOM command not allowed' });
  });

  test('every reason produced is in the exported fixed set', () => {
    const produced = cases.map(([, error]) => outcomeOfRedisError(error)).map((o) => (o.type === 'ok' ? '' : o.reason));
    expect(produced.filter((r) => !(REDIS_SINK_REASONS as readonly string[]).includes(r))).toEqual([]);
  });
});
