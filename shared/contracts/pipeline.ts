import * as v from 'valibot';
import { regexProblem } from '../pipelines/regex.ts';
import { fromIssues, type ParseResult } from './codes.ts';

/**
 * A pipeline: which events it reads, an ordered list of transformations, and where its output goes. Stored in
 * Postgres (versioned), edited through the gateway's REST/GraphQL API, run by every worker. Errors name the step
 * index and field (`steps.2.window.size`), so a bad definition is fixed where it is wrong.
 */
const fieldPath = v.pipe(v.string(), v.regex(/^[A-Za-z_][\w]*(\.[\w]+)*$/, 'must be a dotted field path like data.amount'));
const duration = v.pipe(v.string(), v.regex(/^\d+(ms|s|m|h|d)$/, 'must be a duration like 500ms, 10s, 1m, 1h or 1d'));
const scalar = v.union([v.string(), v.number(), v.boolean(), v.null()]);

export const CONDITION_OPS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'exists', 'regex'] as const;

export type Condition =
  | { field: string; op: (typeof CONDITION_OPS)[number]; value?: unknown }
  | { and: Condition[] }
  | { or: Condition[] };

// A regex is checked here, where the definition is written, so a pattern RE2 refuses (lookaround, backreferences)
// is an error naming `steps.1.where.value` instead of a filter that silently matches nothing in the workers.
const leaf = v.pipe(
  v.strictObject({
    field: fieldPath,
    op: v.picklist(CONDITION_OPS),
    value: v.optional(v.union([scalar, v.array(scalar)])),
  }),
  v.forward(
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed || dataset.value.op !== 'regex') return;
      const pattern = dataset.value.value;
      const problem = typeof pattern === 'string' ? regexProblem(pattern) : 'must be a pattern (a string)';
      if (problem) addIssue({ message: problem, expected: 'invalid_value' });
    }),
    ['value'],
  ),
);
const andSchema = v.strictObject({ and: v.pipe(v.array(v.lazy(() => conditionSchema)), v.minLength(1)) });
const orSchema = v.strictObject({ or: v.pipe(v.array(v.lazy(() => conditionSchema)), v.minLength(1)) });
// Picks the branch by its key instead of a union, so an error points into the branch meant (`where.and.1.op`)
// rather than saying no alternative matched.
export const conditionSchema: v.GenericSchema<Condition> = v.lazy((input) => {
  if (typeof input === 'object' && input !== null && 'and' in input) return andSchema;
  if (typeof input === 'object' && input !== null && 'or' in input) return orSchema;
  return leaf;
}) as v.GenericSchema<Condition>;

export const AGGREGATE_FUNCTIONS = ['count', 'sum', 'avg', 'min', 'max', 'p50', 'p95', 'p99'] as const;

const filterStep = v.strictObject({ type: v.literal('filter'), where: conditionSchema });
const mapStep = v.strictObject({
  type: v.literal('map'),
  rename: v.optional(v.record(fieldPath, fieldPath)),
  drop: v.optional(v.array(fieldPath)),
  set: v.optional(v.record(fieldPath, scalar)),
  /** field → expression over other fields: `data.amount * 100`, `data.first + " " + data.last` (+ - * / and parentheses). */
  computed: v.optional(v.record(fieldPath, v.pipe(v.string(), v.maxLength(500)))),
});
const span = v.pipe(duration, v.check((d) => !/^0+(ms|s|m|h|d)$/.test(d), 'must be longer than 0'));
const windowSpec = v.strictObject({
  kind: v.picklist(['tumbling', 'hopping']),
  /** Upper bounds (size, size / hop, lateness) are settings: shared/pipelines/limits.ts. */
  size: span,
  /** hopping windows only: how far each window starts after the previous one. */
  hop: v.optional(span),
  /** How long after a window's end events are still counted into it; later ones are `late`. */
  allowedLateness: v.optional(duration, '0s'),
});
const aggregateStep = v.pipe(
  v.strictObject({
    type: v.literal('aggregate'),
    window: windowSpec,
    /** Numeric field aggregated; omitted = count only. */
    field: v.optional(fieldPath),
    functions: v.pipe(v.array(v.picklist(AGGREGATE_FUNCTIONS)), v.minLength(1)),
    /** Field the windows are kept per (default: the event key). */
    groupBy: v.optional(fieldPath, 'key'),
  }),
  v.forward(v.check((s) => s.window.kind === 'tumbling' || s.window.hop !== undefined, 'hopping windows need window.hop'), ['window', 'hop']),
  v.forward(v.check((s) => s.field !== undefined || s.functions.every((f) => f === 'count'), 'functions other than count need a field'), ['field']),
);
const enrichStep = v.strictObject({
  type: v.literal('enrich'),
  /** Lookup table name (Postgres `lookup_entries.table_name`). */
  table: v.pipe(v.string(), v.regex(/^[a-z][a-z0-9_]{0,62}$/, 'must be a lower-case table name')),
  /** Event field whose value is the lookup key. */
  on: fieldPath,
  /** Where the looked-up object is put. */
  into: fieldPath,
  cacheTtlMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 30_000),
});

export const pipelineStepSchema = v.variant('type', [filterStep, mapStep, aggregateStep, enrichStep]);

export const pipelineDefinitionSchema = v.strictObject({
  name: v.pipe(v.string(), v.minLength(1), v.maxLength(128)),
  description: v.optional(v.pipe(v.string(), v.maxLength(1000))),
  source: v.strictObject({
    topic: v.optional(v.pipe(v.string(), v.minLength(1)), 'events'),
    /** Only events of these types enter the pipeline; omitted = all. */
    types: v.optional(v.array(v.pipe(v.string(), v.minLength(1)))),
  }),
  /** Kafka topic the pipeline's output events are produced to (optional); must start with PIPELINES_SINK_TOPIC_PREFIX. */
  sinkTopic: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a valid Kafka topic name'))),
  steps: v.pipe(v.array(pipelineStepSchema), v.minLength(1), v.maxLength(50)),
});

export type PipelineDefinition = v.InferOutput<typeof pipelineDefinitionSchema>;
export type PipelineStep = PipelineDefinition['steps'][number];
export type AggregateStep = Extract<PipelineStep, { type: 'aggregate' }>;
export type WindowSpec = AggregateStep['window'];

/** Validates a definition; a failure's `path` names the step index and field, e.g. `steps.1.where.op`. */
export function parsePipeline(input: unknown): ParseResult<PipelineDefinition> {
  const result = v.safeParse(pipelineDefinitionSchema, input);
  return result.success ? { ok: true, event: result.output } : fromIssues(result.issues);
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
export function durationMs(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  if (!m) throw new RangeError(`not a duration: ${text}`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}
