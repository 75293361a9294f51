import * as v from 'valibot';
import { defineConfig, positiveInt, setting } from '../config/index.ts';

/** The samplers of the OpenTelemetry environment specification (OTEL_TRACES_SAMPLER) that tracing.ts builds. */
export const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type SamplerName = (typeof SAMPLERS)[number];

/**
 * Tracing of edge and workers, under the OpenTelemetry SDK's conventional variable names so a deployment that already
 * sets them for other services needs nothing new. Off while neither endpoint is set.
 */
export const tracingConfig = defineConfig('tracing', 'TRACING', {
  endpoint: setting(
    v.string(),
    '',
    'OTLP/HTTP base URL of a collector (e.g. http://127.0.0.1:4318); spans go to <url>/v1/traces as OTLP JSON. Empty (and no traces endpoint): tracing is off and costs nothing.',
    { env: 'OTEL_EXPORTER_OTLP_ENDPOINT' },
  ),
  tracesEndpoint: setting(v.string(), '', 'Full OTLP/HTTP traces URL, used as it is; wins over OTEL_EXPORTER_OTLP_ENDPOINT.', {
    env: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  }),
  sampler: setting(
    v.picklist(SAMPLERS),
    'parentbased_always_on',
    'Which traces are recorded: always_on, always_off, traceidratio (OTEL_TRACES_SAMPLER_ARG of new traces), or a parentbased_* variant that follows the sampled flag of an incoming traceparent and samples new traces as named.',
    { env: 'OTEL_TRACES_SAMPLER' },
  ),
  samplerArg: setting(v.pipe(v.number(), v.minValue(0), v.maxValue(1)), 1, 'Ratio (0-1) of new traces the *traceidratio samplers record.', {
    env: 'OTEL_TRACES_SAMPLER_ARG',
  }),
  serviceName: setting(v.string(), '', 'service.name of the spans; empty: event-lens-edge or event-lens-workers.', { env: 'OTEL_SERVICE_NAME' }),
  maxEventsPerBatch: setting(
    positiveInt,
    100,
    'Workers: at most this many traced events of one batch get spans (a process span and its decode, sink and commit spans); the others of the batch are not traced, so a batch of traced events costs a bounded number of spans.',
  ),
});

export type TracingConfig = v.InferOutput<typeof tracingConfig.schema>;

/** Where spans go, or undefined when tracing is off (no endpoint set). */
export function tracesUrl({ endpoint, tracesEndpoint }: Pick<TracingConfig, 'endpoint' | 'tracesEndpoint'>): string | undefined {
  if (tracesEndpoint !== '') return tracesEndpoint;
  if (endpoint === '') return undefined;
  // OTLP/HTTP spec: the signal path is appended to the base endpoint.
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}
