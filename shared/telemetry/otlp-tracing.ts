import { ROOT_CONTEXT, SpanStatusCode, trace, type Context, type Span, type TextMapGetter } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace-base';
import type { TracingConfig } from './tracing-config.ts';
import { NOOP_SPAN, type TraceSpan, type Tracing, type TracingOptions } from './trace-span.ts';

const propagator = new W3CTraceContextPropagator();
const headerGetter: TextMapGetter<string> = {
  keys: () => ['traceparent'],
  get: (carrier, key) => (key === 'traceparent' ? carrier : undefined),
};

/** A span of the SDK, with the traceparent it hands downstream computed once. */
class SdkSpan implements TraceSpan {
  readonly traceparent: string;
  constructor(readonly span: Span) {
    const c = span.spanContext();
    this.traceparent = `00-${c.traceId}-${c.spanId}-0${c.traceFlags & 1}`;
  }
  setAttribute(key: string, value: string | number | boolean): void {
    this.span.setAttribute(key, value);
  }
  fail(message: string): void {
    this.span.setStatus({ code: SpanStatusCode.ERROR, message });
  }
  end(endTime?: number): void {
    this.span.end(endTime);
  }
}

/** createTracing's tracer for an endpoint (tracing.ts); a module of its own, so tracing off loads none of the SDK. */
export function otlpTracing(url: string, { config, serviceName, exportTimeoutMs = 10_000 }: TracingOptions): Tracing {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName || serviceName }),
    sampler: samplerOf(config),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url, timeoutMillis: exportTimeoutMs }))],
  });
  const tracer = provider.getTracer('event-lens');
  // For a parentbased_traceidratio root the sampler's own draw only decides after the SDK made ids and a span; drawing
  // first lets the ~99% of untraced requests at a 1% ratio return the shared no-op span (bench:edge: tracing 1% / off).
  const parentBased = config.sampler.startsWith('parentbased_');
  const rootRatio = config.sampler === 'parentbased_traceidratio' ? config.samplerArg : config.sampler === 'parentbased_always_off' ? 0 : 1;

  return {
    enabled: true,
    startSpan(name, { parent, startTime, attributes } = {}) {
      const parentContext = contextOf(parent);
      const root = parentContext === undefined;
      if (root && parentBased && (rootRatio === 0 || (rootRatio < 1 && Math.random() >= rootRatio))) return NOOP_SPAN;
      const span = tracer.startSpan(name, { startTime, attributes }, parentContext ?? ROOT_CONTEXT);
      // An unsampled new trace has nothing to carry downstream: no header on its records, as when tracing is off.
      return root && !span.isRecording() ? NOOP_SPAN : new SdkSpan(span);
    },
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

/** The context of a valid parent; undefined for none, a malformed traceparent (W3C: start a new trace) or a no-op span. */
function contextOf(parent: string | TraceSpan | undefined): Context | undefined {
  if (parent === undefined) return undefined;
  if (parent instanceof SdkSpan) return trace.setSpan(ROOT_CONTEXT, parent.span);
  if (typeof parent !== 'string') return undefined;
  const extracted = propagator.extract(ROOT_CONTEXT, parent, headerGetter);
  return trace.getSpanContext(extracted) === undefined ? undefined : extracted;
}

/** The OTEL_TRACES_SAMPLER names as SDK samplers; parentbased roots were already drawn in startSpan, so they are on. */
function samplerOf({ sampler, samplerArg }: Pick<TracingConfig, 'sampler' | 'samplerArg'>): Sampler {
  switch (sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(samplerArg);
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}
