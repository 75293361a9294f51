import { describe, expect, test } from 'bun:test';
import { KAFKA_ERR, KafkaError } from '../../shared/kafka/index.ts';
import { judgePipelineRun, sinkErrorKind, SinkRefused } from './sink-failure.ts';

const kafka = (code: number, rdName: string) => new KafkaError({ code, rdName, message: `${rdName} from the test` });
const refused = (...errors: KafkaError[]) => new SinkRefused('pipelines.out', errors);
const limits = { topicMissingMs: 5000 };
const early = { elapsedMs: 0, timedOut: false };
const judge = (error: unknown, at: { elapsedMs: number; timedOut: boolean } = early) => judgePipelineRun(error, at, limits);

const REFUSED = [kafka(29, 'TOPIC_AUTHORIZATION_FAILED'), kafka(10, 'MSG_SIZE_TOO_LARGE'), kafka(87, 'INVALID_RECORD'), kafka(17, 'INVALID_TOPIC_EXCEPTION')];
const GONE = [
  kafka(KAFKA_ERR.UNKNOWN_TOPIC_OR_PART, 'UNKNOWN_TOPIC_OR_PART'),
  kafka(KAFKA_ERR.UNKNOWN_TOPIC, '_UNKNOWN_TOPIC'),
  kafka(KAFKA_ERR.UNKNOWN_PARTITION, '_UNKNOWN_PARTITION'),
];
const TRANSIENT = [
  kafka(KAFKA_ERR.MSG_TIMED_OUT, '_MSG_TIMED_OUT'),
  kafka(KAFKA_ERR.ALL_BROKERS_DOWN, '_ALL_BROKERS_DOWN'),
  kafka(KAFKA_ERR.TRANSPORT, '_TRANSPORT'),
  kafka(KAFKA_ERR.QUEUE_FULL, '_QUEUE_FULL'),
  kafka(6, 'NOT_LEADER_OR_FOLLOWER'),
  kafka(19, 'NOT_ENOUGH_REPLICAS'),
];

describe('what a pipeline run does after a failed attempt', () => {
  test('a sink topic that refuses this client, or a record as too large or invalid, fails the pipeline at the first refusal', () => {
    for (const error of REFUSED) {
      expect(sinkErrorKind(error)).toBe('refused');
      expect(judge(refused(error))).toEqual({ action: 'fail', reason: `sink_topic_refused: ${error.rdName}` });
    }
  });

  test('a missing sink topic is retried for PIPELINES_SINK_TOPIC_MISSING_MS (a topic just created again), then fails the pipeline', () => {
    for (const error of GONE) {
      expect(sinkErrorKind(error)).toBe('gone');
      expect(judge(refused(error), { elapsedMs: 4999, timedOut: false })).toEqual({ action: 'retry' });
      expect(judge(refused(error), { elapsedMs: 5000, timedOut: false })).toEqual({ action: 'fail', reason: `sink_topic_refused: ${error.rdName}` });
      // A retry time set shorter than the grace still ends it, under the same reason.
      expect(judge(refused(error), { elapsedMs: 1000, timedOut: true })).toEqual({ action: 'fail', reason: `sink_topic_refused: ${error.rdName}` });
    }
  });

  test('a refusal for good among transient ones is named as the cause', () => {
    expect(judge(refused(TRANSIENT[0]!, GONE[2]!, REFUSED[1]!))).toEqual({ action: 'fail', reason: 'sink_topic_refused: MSG_SIZE_TOO_LARGE' });
    expect(judge(refused(TRANSIENT[0]!, GONE[2]!), { elapsedMs: 6000, timedOut: false })).toEqual({ action: 'fail', reason: 'sink_topic_refused: _UNKNOWN_PARTITION' });
  });

  test('a broker away, a leader moving or a timeout is retried until the retry time is up, then fails as retries_exhausted', () => {
    for (const error of TRANSIENT) {
      expect(sinkErrorKind(error)).toBe('transient');
      expect(judge(refused(error), { elapsedMs: 60_000, timedOut: false })).toEqual({ action: 'retry' });
      expect(judge(refused(error), { elapsedMs: 300_000, timedOut: true })).toEqual({ action: 'fail', reason: `retries_exhausted: ${error.rdName}` });
    }
  });

  test('a step that keeps throwing (a lookup table unreadable) is retried until the retry time is up, then fails with a short reason', () => {
    const error = new Error(`relation "lookup_entries" does not exist ${'x'.repeat(400)}`);
    expect(judge(error, { elapsedMs: 60_000, timedOut: false })).toEqual({ action: 'retry' });
    const verdict = judge(error, { elapsedMs: 300_000, timedOut: true });
    if (verdict.action !== 'fail') throw new Error('expected the run to fail');
    expect(verdict.reason).toStartWith('retries_exhausted: Error: relation "lookup_entries" does not exist');
    expect(verdict.reason.length).toBe('retries_exhausted: '.length + 200);
  });
});
