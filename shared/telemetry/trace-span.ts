import type { Attributes } from '@opentelemetry/api';
import type { TracingConfig } from './tracing-config.ts';

/*
 * What the edge and workers see of tracing, apart from the tracer itself: tracing.ts picks the tracer, and the
 * OpenTelemetry one (otlp-tracing.ts, loaded only when an endpoint is set) builds on these without importing it back.
 */

/** One span as the edge and workers see it; the no-op one is shared, so an untraced request allocates nothing. */
export interface TraceSpan {
  /** The W3C traceparent naming this span, to carry downstream; undefined when the request is not traced at all. */
  readonly traceparent: string | undefined;
  setAttribute(key: string, value: string | number | boolean): void;
  /** Marks the span failed (OTLP status ERROR) with a short message. */
  fail(message: string): void;
  /** Ends the span, at `endTime` (epoch milliseconds) when given. */
  end(endTime?: number): void;
}

export interface StartSpanOptions {
  /** A W3C traceparent (an incoming header) or a span of this process; none: a new trace, if the sampler says so. */
  parent?: string | TraceSpan | undefined;
  /** Epoch milliseconds; default now. */
  startTime?: number;
  attributes?: Attributes;
}

export interface Tracing {
  /** False when no endpoint is set: callers skip even reading the traceparent header. */
  readonly enabled: boolean;
  startSpan(name: string, options?: StartSpanOptions): TraceSpan;
  /** Sends the spans ended so far. */
  flush(): Promise<void>;
  /** Flushes and stops exporting. */
  shutdown(): Promise<void>;
}

export const NOOP_SPAN: TraceSpan = Object.freeze({ traceparent: undefined, setAttribute() {}, fail() {}, end() {} });

export const NOOP_TRACING: Tracing = Object.freeze({
  enabled: false,
  startSpan: () => NOOP_SPAN,
  flush: async () => {},
  shutdown: async () => {},
});

export interface TracingOptions {
  config: TracingConfig;
  /** Used when OTEL_SERVICE_NAME is empty. */
  serviceName: string;
  /** Milliseconds the exporter waits for the collector per request (the SDK's default is 10 s). */
  exportTimeoutMs?: number;
}
