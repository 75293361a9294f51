import type { Pointer } from 'bun:ffi';
import { loadRdkafka } from './ffi.ts';
import { asPtr, mustPtr } from './native.ts';

/**
 * librdkafka's built-in mock cluster (config `test.mock.num.brokers`), for fault tests that must never touch the
 * real broker: take a broker down, or make the next requests of an API fail.
 */
export interface MockCluster {
  setBrokerDown(brokerId: number): void;
  setBrokerUp(brokerId: number): void;
  /** Fails the next `errors.length` requests of Kafka API `apiKey` (0 = Produce) with these codes, in order. */
  pushRequestErrors(apiKey: number, errors: readonly number[]): void;
}

export function mockClusterOf(handle: Pointer, libraryPath?: string): MockCluster {
  const lib = loadRdkafka(libraryPath);
  const mc = mustPtr(asPtr(lib.rd_kafka_handle_mock_cluster(handle)), 'rd_kafka_handle_mock_cluster (is test.mock.num.brokers set?)');
  return {
    setBrokerDown: (id) => void lib.rd_kafka_mock_broker_set_down(mc, id),
    setBrokerUp: (id) => void lib.rd_kafka_mock_broker_set_up(mc, id),
    pushRequestErrors: (apiKey, errors) => lib.rd_kafka_mock_push_request_errors_array(mc, apiKey, errors.length, new Int32Array(errors)),
  };
}
