import { tracesUrl } from './tracing-config.ts';
import { NOOP_TRACING, type Tracing, type TracingOptions } from './trace-span.ts';

export * from './trace-span.ts';

/**
 * The process's tracer: W3C trace context in, OTLP/HTTP JSON out (the SDK's BatchSpanProcessor: spans are queued,
 * at most 2048, and sent in the background every 5 s or 512 at a time; a collector that is away costs dropped spans,
 * never a blocked request). With no endpoint it is NOOP_TRACING, and the OpenTelemetry SDK is not even loaded: it
 * took 13-18 MB of each edge process's peak RSS under batch load (Bun 1.4.5), for tracing that is off by default.
 */
export function createTracing(options: TracingOptions): Tracing {
  const url = tracesUrl(options.config);
  if (url === undefined) return NOOP_TRACING;
  const { otlpTracing } = require('./otlp-tracing.ts') as typeof import('./otlp-tracing.ts');
  return otlpTracing(url, options);
}
