/**
 * A real OTLP/HTTP trace receiver for tests: a Bun.serve that answers POST /v1/traces as the OTLP/HTTP specification
 * says (JSON ExportTraceServiceRequest in, an empty ExportTraceServiceResponse out) and keeps the spans it got. The
 * OpenTelemetry Collector itself is not published on npm, Maven Central or Debian, so tests talk to this one; to the
 * exporter it is a collector like any other. Protobuf bodies are refused with 415: tracing.ts exports JSON.
 */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  attributes: Record<string, unknown>;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
}

export interface TraceReceiver {
  /** The base URL, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly url: string;
  readonly spans: ReceivedSpan[];
  /** Export requests received, whatever they held. */
  requests(): number;
  stop(): void;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: Array<{ spans?: Array<Omit<ReceivedSpan, 'service' | 'attributes'> & { attributes?: OtlpAttribute[] }> }>;
  }>;
}

const valueOf = (v: OtlpValue): unknown => v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined) ?? v.doubleValue ?? v.boolValue;
const attributesOf = (list: readonly OtlpAttribute[] = []) => Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]));

export function startTraceReceiver(): TraceReceiver {
  const spans: ReceivedSpan[] = [];
  let requests = 0;
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const url = new URL(req.url);
      if (req.method !== 'POST' || url.pathname !== '/v1/traces') return new Response('not found', { status: 404 });
      requests++;
      if (!(req.headers.get('content-type') ?? '').startsWith('application/json')) return new Response('send application/json', { status: 415 });
      const body = (await req.json()) as OtlpRequest;
      for (const rs of body.resourceSpans ?? []) {
        const service = String(attributesOf(rs.resource?.attributes)['service.name'] ?? '');
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) spans.push({ ...s, service, parentSpanId: s.parentSpanId ?? '', attributes: attributesOf(s.attributes) });
        }
      }
      // OTLP/HTTP: a full success is 200 with an ExportTraceServiceResponse; an empty one has no partialSuccess.
      return Response.json({});
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, spans, requests: () => requests, stop: () => void server.stop(true) };
}
