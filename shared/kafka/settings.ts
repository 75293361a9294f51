import * as v from 'valibot';
import { defineConfig, loadConfig, setting, type ConfigOf } from '../config/index.ts';

/** How the Kafka client finds and sets up librdkafka; read once per process, before the library is loaded. */
export const kafkaClientConfig = defineConfig('kafka client', 'RDKAFKA', {
  lib: setting(
    v.string(),
    '',
    'Path of librdkafka (librdkafka.so.1 / .dylib); empty: the usual install paths are searched. A path that does not exist is an error rather than a fallback to another copy.',
  ),
  mallopt: setting(
    v.picklist(['on', 'off']),
    'on',
    'On glibc Linux, tune malloc for librdkafka before it allocates: fastbins off (mallopt(M_MXFAST, 0)) and a 32 MiB trim threshold (M_TRIM_THRESHOLD; one set in GLIBC_TUNABLES wins); off leaves malloc as it is. See shared/kafka/README.md, "glibc malloc".',
  ),
});

export type KafkaClientConfig = ConfigOf<typeof kafkaClientConfig>;

export const kafkaClientSettings = (env: Record<string, string | undefined> = process.env): KafkaClientConfig => loadConfig(kafkaClientConfig, env);
