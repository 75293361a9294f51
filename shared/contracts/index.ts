export { canonicalEnvelope, canonicalStamped } from './canonical.ts';
export { fromIssues, ISSUE_CODES, type IssueCode, type ParseFailure, type ParseResult } from './codes.ts';
export { envelopeSchema, type EventEnvelope } from './envelope.ts';
export { eventId, eventSource, eventType, legacyId, partitionKey } from './fields.ts';
export { MAX_DEPTH, jsonObject, type JsonObject, type JsonValue } from './json.ts';
export {
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
  type ApiEventBody,
  type IngestItem,
  type OrderBody,
  type SensorBody,
  type UserEventBody,
} from './legacy.ts';
export { EVENT_KINDS, parseBatch, parseEvent, parseIngest, type BatchResult, type EventKind } from './parse.ts';
export { decodeEvent, encodeEvent, eventText, keepEventText, stampEvent, stampedSchema, type StampedEvent, type StampOptions } from './stamped.ts';
export { MAX_TIME_MS, MIN_TIME_MS, timestamp, toIsoTimestamp } from './timestamp.ts';
export { uuidv7, uuidv7Time } from './uuid.ts';
export {
  AGGREGATE_FUNCTIONS,
  CONDITION_OPS,
  durationMs,
  parsePipeline,
  pipelineDefinitionSchema,
  pipelineStepSchema,
  type AggregateStep,
  type Condition,
  type PipelineDefinition,
  type PipelineStep,
  type WindowSpec,
} from './pipeline.ts';
export { parsePosthog, parsePosthogSlow, posthogEventSchema, posthogFast, posthogToEnvelope, posthogType, type PosthogEvent } from './posthog.ts';
export { eventTypeOf, stableEventId } from './sdk-names.ts';
export {
  parseSegment,
  parseSegmentSlow,
  SEGMENT_CALLS,
  segmentFast,
  segmentMessageSchema,
  segmentToEnvelope,
  type SegmentCall,
  type SegmentMessage,
  type SegmentOptions,
} from './segment.ts';
