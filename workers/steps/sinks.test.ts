import { describe, expect, test } from 'bun:test';
import type { StampedEvent } from '../../shared/contracts/index.ts';
import { dlq, ok, retry, type Outcome } from '../outcomes.ts';
import type { Sink, SinkName } from '../sinks/types.ts';
import { backoffMs, retryUntil, writeToSinks, type SinkStepOptions } from './sinks.ts';

const event = (id: string): StampedEvent => ({
  id,
  type: 't',
  timestamp: '2025-01-01T00:00:00.000Z',
  key: id,
  receivedAt: '2025-01-01T00:00:00.000Z',
  data: {},
});
const events = ['a', 'b', 'c', 'd'].map(event);

/** An in-memory sink whose answer per call is scripted; it records the ids of every call. */
function fakeSink(name: SinkName, answer: (ids: string[], call: number) => Outcome[] | Promise<Outcome[]>) {
  const calls: string[][] = [];
  const sink: Sink = {
    name,
    async write(batch) {
      const ids = batch.map((e) => e.id);
      calls.push(ids);
      return answer(ids, calls.length);
    },
    ready: async () => true,
    close: async () => {},
  };
  return { sink, calls };
}

function options(sinks: Sink[], extra: Partial<SinkStepOptions> = {}) {
  const delays: number[] = [];
  const opts: SinkStepOptions = {
    sinks,
    backoff: { initialMs: 100, maxMs: 1000 },
    random: () => 1,
    sleep: async (ms) => void delays.push(ms),
    ...extra,
  };
  return { opts, delays };
}

describe('backoff', () => {
  test('doubles from the initial delay and stops growing at the cap', () => {
    const b = { initialMs: 200, maxMs: 10_000 };
    expect([1, 2, 3, 4, 5, 6, 7, 20, 1000].map((n) => backoffMs(n, b, () => 1))).toEqual([200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000]);
  });

  test('jitter keeps each delay between half and all of its capped value', () => {
    const b = { initialMs: 200, maxMs: 10_000 };
    expect(backoffMs(3, b, () => 0)).toBe(400);
    expect(backoffMs(3, b, () => 0.5)).toBe(600);
    expect(backoffMs(30, b, () => 0)).toBe(5000);
  });
});

describe('the sinks step', () => {
  test('every sink gets every event, and each ok sink is written once', async () => {
    const a = fakeSink('elasticsearch', (ids) => ids.map(() => ok));
    const b = fakeSink('postgres', (ids) => ids.map(() => ok));
    const { opts, delays } = options([a.sink, b.sink]);
    const result = await writeToSinks(events, opts);
    expect(result.aborted).toBe(false);
    expect(a.calls).toEqual([['a', 'b', 'c', 'd']]);
    expect(b.calls).toEqual([['a', 'b', 'c', 'd']]);
    expect(result.results.map((r) => r.attempts)).toEqual([[1, 1, 1, 1], [1, 1, 1, 1]]);
    expect(delays).toEqual([]);
  });

  test('only the events a sink answered retry for are re-submitted, with growing delays, until none are left', async () => {
    const flaky = fakeSink('redis', (ids, call) => ids.map((id) => (call === 1 && id !== 'a' ? retry('redis_unavailable') : call === 2 && id === 'd' ? retry('redis_busy') : ok)));
    const { opts, delays } = options([flaky.sink]);
    const [result] = (await writeToSinks(events, opts)).results;
    expect(flaky.calls).toEqual([['a', 'b', 'c', 'd'], ['b', 'c', 'd'], ['d']]);
    expect(result?.outcomes).toEqual([ok, ok, ok, ok]);
    expect(result?.attempts).toEqual([1, 2, 2, 3]);
    expect(delays).toEqual([100, 200]);
  });

  test('a dlq answer is final for that event and the others still complete', async () => {
    const es = fakeSink('elasticsearch', (ids, call) => ids.map((id) => (id === 'b' ? dlq('mapping_conflict', 'amount') : call === 1 && id === 'c' ? retry('elasticsearch_throttled') : ok)));
    const { opts } = options([es.sink]);
    const [result] = (await writeToSinks(events, opts)).results;
    expect(result?.outcomes).toEqual([ok, dlq('mapping_conflict', 'amount'), ok, ok]);
    expect(es.calls).toEqual([['a', 'b', 'c', 'd'], ['c']]);
  });

  test('a sink that is down does not hold back the others: they write once while it retries', async () => {
    let up = false;
    const redis = fakeSink('redis', (ids) => ids.map(() => (up ? ok : retry('redis_unavailable'))));
    const pg = fakeSink('postgres', (ids) => ids.map(() => ok));
    const retrying: string[] = [];
    const settled: string[] = [];
    const { opts } = options([redis.sink, pg.sink], {
      sleep: async () => {
        if (redis.calls.length === 5) up = true;
      },
      hooks: { onRetrying: (sink, attempt) => retrying.push(`${sink}#${attempt}`), onSettled: (sink) => settled.push(sink) },
    });
    const result = await writeToSinks(events, opts);
    expect(pg.calls.length).toBe(1);
    expect(redis.calls.length).toBe(6);
    expect(retrying).toEqual(['redis#1', 'redis#2', 'redis#3', 'redis#4', 'redis#5']);
    expect(settled.sort()).toEqual(['postgres', 'redis']);
    expect(result.results.find((r) => r.sink === 'redis')?.outcomes).toEqual([ok, ok, ok, ok]);
  });

  test('the delays of a long outage stop growing at the cap', async () => {
    const redis = fakeSink('redis', (ids, call) => ids.map(() => (call < 8 ? retry('redis_unavailable') : ok)));
    const { opts, delays } = options([redis.sink]);
    await writeToSinks(events, opts);
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  test('events a sink still answers retry for when retryTimeoutMs is up are dead-lettered as retries_exhausted; the last wait ends at the cap', async () => {
    let clock = 0;
    const es = fakeSink('elasticsearch', (ids) => ids.map((id) => (id === 'a' ? ok : id === 'b' ? dlq('mapping_conflict') : retry('elasticsearch_unavailable', 'connect ECONNREFUSED'))));
    const { opts, delays } = options([es.sink], {
      retryTimeoutMs: 2000,
      now: () => clock,
      sleep: async (ms) => {
        delays.push(ms);
        clock += ms;
      },
    });
    const result = await writeToSinks(events, opts);
    expect(result.aborted).toBe(false);
    expect(delays).toEqual([100, 200, 400, 800, 500]);
    expect(es.calls.length).toBe(6);
    const [only] = result.results;
    expect(only?.outcomes.slice(0, 2)).toEqual([ok, dlq('mapping_conflict')]);
    expect(only?.outcomes.slice(2)).toEqual([
      dlq('retries_exhausted', 'still failing after 6 attempts (elasticsearch_unavailable: connect ECONNREFUSED)'),
      dlq('retries_exhausted', 'still failing after 6 attempts (elasticsearch_unavailable: connect ECONNREFUSED)'),
    ]);
    expect(only?.attempts).toEqual([1, 1, 6, 6]);
  });

  test('a store that recovers before retryTimeoutMs loses nothing to the cap', async () => {
    let clock = 0;
    const redis = fakeSink('redis', (ids, call) => ids.map(() => (call < 5 ? retry('redis_unavailable') : ok)));
    const { opts } = options([redis.sink], { retryTimeoutMs: 2000, now: () => clock, sleep: async (ms) => void (clock += ms) });
    const [result] = (await writeToSinks(events, opts)).results;
    expect(result?.outcomes).toEqual([ok, ok, ok, ok]);
    expect(clock).toBe(1500);
  });

  test('shutdown during retries stops them and reports the batch aborted', async () => {
    const controller = new AbortController();
    const redis = fakeSink('redis', (ids) => ids.map(() => retry('redis_unavailable')));
    const pg = fakeSink('postgres', (ids) => ids.map(() => ok));
    const { opts } = options([redis.sink, pg.sink], {
      signal: controller.signal,
      sleep: async () => {
        if (redis.calls.length === 3) controller.abort();
      },
    });
    const result = await writeToSinks(events, opts);
    expect(result.aborted).toBe(true);
    expect(redis.calls.length).toBe(3);
    expect(result.results.find((r) => r.sink === 'postgres')?.aborted).toBe(false);
  });

  test('a sink that throws or answers the wrong number of outcomes is retried rather than trusted', async () => {
    const broken = fakeSink('elasticsearch', (ids, call) => {
      if (call === 1) throw new Error('boom');
      if (call === 2) return [ok];
      return ids.map(() => ok);
    });
    const attempts: Outcome[][] = [];
    const { opts } = options([broken.sink], { hooks: { onAttempt: (_sink, _s, outcomes) => attempts.push([...outcomes]) } });
    const [result] = (await writeToSinks(events, opts)).results;
    expect(attempts[0]?.every((o) => o.type === 'retry' && o.reason === 'sink_exception')).toBe(true);
    expect(attempts[1]?.map((o) => o.type)).toEqual(['ok', 'retry', 'retry', 'retry']);
    expect(broken.calls).toEqual([['a', 'b', 'c', 'd'], ['a', 'b', 'c', 'd'], ['b', 'c', 'd']]);
    expect(result?.outcomes).toEqual([ok, ok, ok, ok]);
  });

  test('an empty batch calls no sink', async () => {
    const es = fakeSink('elasticsearch', () => []);
    const { opts } = options([es.sink]);
    expect((await writeToSinks([], opts)).results).toEqual([{ sink: 'elasticsearch', outcomes: [], attempts: [], aborted: false }]);
    expect(es.calls).toEqual([]);
  });
});

describe('a task retried with an end', () => {
  const quick = { what: 'task', backoff: { initialMs: 1, maxMs: 1 }, signal: new AbortController().signal, log: () => {} };

  test('is retried until its judge gives up once the retry time has passed, which ends it with the reason and the last error', async () => {
    let clock = 0;
    const seen: Array<[number, boolean]> = [];
    const end = await retryUntil(
      async () => {
        clock += 400;
        throw new Error(`failed at ${clock}`);
      },
      { ...quick, timeoutMs: 1000, now: () => clock, judge: (_error, { elapsedMs, timedOut }) => (seen.push([elapsedMs, timedOut]), timedOut ? { action: 'fail', reason: 'retries_exhausted' } : { action: 'retry' }) },
    );
    expect(seen).toEqual([[400, false], [800, false], [1200, true]]);
    expect(end).toEqual({ status: 'failed', reason: 'retries_exhausted', error: new Error('failed at 1200') });
  });

  test('ends at the first failure its judge calls permanent, and is done once an attempt succeeds', async () => {
    let attempts = 0;
    const failing = await retryUntil(async () => {
      attempts++;
      throw new Error('gone');
    }, { ...quick, judge: () => ({ action: 'fail', reason: 'gone' }) });
    expect([failing, attempts]).toEqual([{ status: 'failed', reason: 'gone', error: new Error('gone') }, 1]);
    let tries = 0;
    const eventually = async () => {
      if (++tries < 3) throw new Error('not yet');
    };
    expect(await retryUntil(eventually, quick)).toEqual({ status: 'done' });
    expect(tries).toBe(3);
  });
});
