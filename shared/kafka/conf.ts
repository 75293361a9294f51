import type { Pointer } from 'bun:ffi';
import { CONF_INVALID, CONF_UNKNOWN, type Rdkafka } from './ffi.ts';
import { KafkaConfigError } from './errors.ts';
import { asPtr, cstr, mustPtr } from './native.ts';

/** librdkafka properties (CONFIGURATION.md) passed through as-is; `undefined` means "librdkafka's default". */
export type KafkaConfig = Record<string, string | number | boolean | undefined>;

export const DEFAULT_BROKERS = '127.0.0.1:9092';

const ERRSTR_SIZE = 512;

function errstrOf(buf: Uint8Array): string {
  const end = buf.indexOf(0);
  return new TextDecoder().decode(buf.subarray(0, end < 0 ? buf.length : end));
}

function valueToString(key: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new KafkaConfigError(key, `expected a finite number, got ${value}`);
    return String(value);
  }
  throw new KafkaConfigError(key, `expected a string, number or boolean, got ${value === null ? 'null' : typeof value}`);
}

/** Builds an rd_kafka_conf_t; the caller hands it to createHandle (which takes ownership). */
export function buildConf(lib: Rdkafka, config: KafkaConfig, events: number): Pointer {
  const conf = mustPtr(lib.rd_kafka_conf_new(), 'rd_kafka_conf_new');
  const errstr = new Uint8Array(ERRSTR_SIZE);
  try {
    for (const [key, raw] of Object.entries(config)) {
      if (raw === undefined) continue;
      const res = lib.rd_kafka_conf_set(conf, cstr(key), cstr(valueToString(key, raw)), errstr, ERRSTR_SIZE);
      if (res === CONF_UNKNOWN) throw new KafkaConfigError(key, `unknown configuration property (${errstrOf(errstr)})`);
      if (res === CONF_INVALID) throw new KafkaConfigError(key, errstrOf(errstr));
    }
  } catch (err) {
    lib.rd_kafka_conf_destroy(conf);
    throw err;
  }
  lib.rd_kafka_conf_set_events(conf, events);
  return conf;
}

/**
 * rd_kafka_new takes ownership of conf only on success, so it is destroyed here on failure. Cross-property checks
 * (e.g. idempotence with acks=1) only fail here; librdkafka's message names the property, so it is surfaced as is.
 */
export function createHandle(lib: Rdkafka, type: number, conf: Pointer): Pointer {
  const errstr = new Uint8Array(ERRSTR_SIZE);
  const rk = asPtr(lib.rd_kafka_new(type, conf, errstr, ERRSTR_SIZE));
  if (!rk) {
    lib.rd_kafka_conf_destroy(conf);
    const message = errstrOf(errstr);
    const key = /`([a-z.]+)`|"([a-z.]+)"|\b([a-z]+\.[a-z.]+)\b/.exec(message);
    throw new KafkaConfigError(key?.[1] ?? key?.[2] ?? key?.[3] ?? 'configuration', message);
  }
  return rk;
}
