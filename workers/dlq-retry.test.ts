import { describe, expect, test } from 'bun:test';
import { KAFKA_ERR } from '../shared/kafka/index.ts';
import { dlqNextStep } from './dlq-retry.ts';

const MSG_SIZE_TOO_LARGE = 10;
const RECORD_LIST_TOO_LARGE = 18;
const TOPIC_AUTHORIZATION_FAILED = 29;
const INVALID_RECORD = 87;
const NOT_LEADER_FOR_PARTITION = 6;

describe('what the dead-letter producer does with a record it could not deliver', () => {
  test('a record too large or invalid for the topic is written again truncated, at once', () => {
    for (const code of [MSG_SIZE_TOO_LARGE, RECORD_LIST_TOO_LARGE, INVALID_RECORD, TOPIC_AUTHORIZATION_FAILED, KAFKA_ERR.INVALID_ARG]) {
      expect(dlqNextStep({ code }, { truncated: false })).toEqual({ action: 'truncate' });
    }
  });

  test('a truncated record refused for good is retried and reported as dlq_record_refused, never dropped', () => {
    expect(dlqNextStep({ code: MSG_SIZE_TOO_LARGE }, { truncated: true })).toEqual({ action: 'retry', reason: 'dlq_record_refused' });
    expect(dlqNextStep({ code: TOPIC_AUTHORIZATION_FAILED }, { truncated: true })).toEqual({ action: 'retry', reason: 'dlq_record_refused' });
  });

  test('a broker away, a timeout or a leader change is retried as the record is', () => {
    for (const code of [KAFKA_ERR.MSG_TIMED_OUT, KAFKA_ERR.ALL_BROKERS_DOWN, KAFKA_ERR.TRANSPORT, KAFKA_ERR.QUEUE_FULL, NOT_LEADER_FOR_PARTITION, KAFKA_ERR.UNKNOWN_TOPIC_OR_PART]) {
      for (const truncated of [false, true]) expect(dlqNextStep({ code }, { truncated })).toEqual({ action: 'retry', reason: 'dlq_delivery_failed' });
    }
  });
});
