import * as v from 'valibot';
import { canonicalEnvelope } from './canonical.ts';
import { fromIssues, type ParseFailure, type ParseResult } from './codes.ts';
import { envelope, envelopeSchema, type EventEnvelope } from './envelope.ts';
import {
  apiEventSchema,
  apiEventToEnvelope,
  ingestBodySchema,
  ingestItemSchema,
  ingestItemToEnvelope,
  orderSchema,
  orderToEnvelope,
  sensorSchema,
  sensorToEnvelope,
  userEventSchema,
  userEventToEnvelope,
} from './legacy.ts';

/** The input shapes the edge understands: the envelope itself, then the older services' bodies. */
export const EVENT_KINDS = ['event', 'order', 'user_event', 'api_event', 'sensor', 'ingest_item'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** `storable`: the input was parsed from text storableText accepted (json.ts); only the envelope's fast path uses it. */
type Parser = (input: unknown, storable: boolean) => ParseResult<EventEnvelope>;

// Pairs a schema with its mapping; the type parameter makes the compiler check the mapping accepts what the schema
// produces, and the closure hides it so the six parsers fit one table.
const parser =
  <S extends v.GenericSchema>(schema: S, toEnvelope: (body: v.InferOutput<S>) => EventEnvelope): Parser =>
  (input) => {
    const result = v.safeParse(schema, input);
    return result.success ? { ok: true, event: toEnvelope(result.output) } : fromIssues(result.issues);
  };

const envelopeParser = parser(envelopeSchema, envelope);

// Most events arrive already in the envelope's own shape; those skip valibot (see canonicalEnvelope).
function parseEnvelope(input: unknown, storable: boolean): ParseResult<EventEnvelope> {
  const event = canonicalEnvelope(input, storable);
  return event ? { ok: true, event } : envelopeParser(input, storable);
}

const PARSERS: Record<EventKind, Parser> = {
  event: parseEnvelope,
  order: parser(orderSchema, orderToEnvelope),
  user_event: parser(userEventSchema, userEventToEnvelope),
  api_event: parser(apiEventSchema, apiEventToEnvelope),
  sensor: parser(sensorSchema, sensorToEnvelope),
  ingest_item: parser(ingestItemSchema, ingestItemToEnvelope),
};

/**
 * Validates one input of the given shape and maps it onto the envelope. Never throws for bad input. `storable`: the
 * input was parsed from text storableText accepted (json.ts), which spares the envelope's fast path its character tests.
 */
export function parseEvent(kind: EventKind, input: unknown, storable = false): ParseResult<EventEnvelope> {
  return PARSERS[kind](input, storable);
}

export type BatchResult = ParseResult<EventEnvelope> & { readonly index: number };

/** Validates each item on its own, so one bad item does not reject the others; results keep the input order. */
export function parseBatch(kind: EventKind, items: readonly unknown[]): BatchResult[] {
  return items.map((item, index) => ({ index, ...parseEvent(kind, item) }));
}

/**
 * `POST /api/events/ingest`: fails as a whole only if the body is not `{ events: [...] }`; otherwise gives one
 * result per item.
 */
export function parseIngest(body: unknown): ParseFailure | { readonly ok: true; readonly results: BatchResult[] } {
  const result = v.safeParse(ingestBodySchema, body);
  return result.success ? { ok: true, results: parseBatch('ingest_item', result.output.events) } : fromIssues(result.issues);
}
