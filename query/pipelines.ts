/**
 * What the pipeline REST routes and GraphQL resolvers share: the tables (created on first use), dry runs and window
 * reads. Nothing here throws for a client's mistake; the boundaries (rest/pipelines.ts, resolvers/pipelines.ts) turn
 * results into their own error shapes.
 */
import type { Sql } from 'postgres';
import { connectionsConfig } from '../shared/config/connections.ts';
import { loadConfig } from '../shared/config/index.ts';
import type { JsonObject } from '../shared/contracts/json.ts';
import { parseEvent } from '../shared/contracts/parse.ts';
import type { PipelineDefinition } from '../shared/contracts/pipeline.ts';
import { stampedSchema, stampEvent, type StampedEvent } from '../shared/contracts/stamped.ts';
import { uuidv7 } from '../shared/contracts/uuid.ts';
import { createAdmin, KafkaError } from '../shared/kafka/index.ts';
import { BudgetExceeded, checkPipeline, createBudget, runSteps, type PipelineCheck } from '../shared/pipelines/index.ts';
import { lookupEntries, migratePipelines } from '../shared/stores/pipelines.ts';
import { readWindows, type WindowResult } from '../shared/stores/windows.ts';
import * as v from 'valibot';
import type { GatewayContext } from './context.ts';
import { isMissingTable, StoreUnavailable } from './errors.ts';

// One migration per (client, schema) per process; a failed one is forgotten so the next request tries again.
const migrated = new WeakMap<Sql, Map<string, Promise<unknown>>>();

function ensureTables(sql: Sql, schema: string): Promise<unknown> {
  let bySchema = migrated.get(sql);
  if (!bySchema) migrated.set(sql, (bySchema = new Map()));
  let done = bySchema.get(schema);
  if (!done) {
    done = migratePipelines(sql, schema);
    bySchema.set(schema, done);
    done.catch(() => bySchema.delete(schema));
  }
  return done;
}

/** Runs `run` on the pipeline tables (creating them the first time), with a Postgres outage typed as such. */
export function withPipelines<T>(ctx: GatewayContext, run: (sql: Sql, schema: string) => Promise<T>): Promise<T> {
  const { sql } = ctx.stores;
  const schema = ctx.config.pgSchema;
  return ctx.read('postgres', async () => {
    await ensureTables(sql, schema);
    return run(sql, schema);
  });
}

/** The contract and the PIPELINES_* limits (shared/pipelines/limits.ts), as the workers will check them again. */
export const checkDefinition = (ctx: GatewayContext, input: unknown): PipelineCheck => checkPipeline(input, ctx.config);

const brokers = () => loadConfig(connectionsConfig).kafkaBrokers;

/**
 * Creates the definition's sinkTopic (nothing when it exists), with PIPELINES_SINK_TOPIC_PARTITIONS/_REPLICATION
 * (0: the broker's defaults, as the auto-created `events` gets), so the workers never produce into a missing topic.
 * Resolves the broker's reason when it refuses the topic; an unreachable broker is StoreUnavailable('kafka').
 */
export async function ensureSinkTopic(ctx: GatewayContext, definition: PipelineDefinition): Promise<string | undefined> {
  const name = definition.sinkTopic;
  if (name === undefined) return undefined;
  const { pipelineSinkTopicPartitions: partitions, pipelineSinkTopicReplication: replication, storeTimeoutMs } = ctx.config;
  return ctx.read('kafka', async () => {
    const admin = createAdmin({ brokers: brokers(), timeoutMs: storeTimeoutMs, config: { log_level: '3' } });
    try {
      await admin.createTopics([{ name, partitions: partitions || -1, replicationFactor: replication || -1 }]);
      return undefined;
    } catch (error) {
      // Broker codes are positive and answer for this topic (invalid name, replication, policy); local ones (< 0:
      // timed out, transport) mean no broker answered.
      if (error instanceof KafkaError && error.code > 0) return error.message;
      throw error;
    } finally {
      await admin.close();
    }
  });
}

export interface InputProblem {
  readonly code: string;
  readonly path: string;
  readonly message: string;
}

export interface TraceEntry {
  readonly step: number;
  readonly type: string;
  readonly before: unknown;
  readonly after: unknown;
  readonly note: string | null;
}

/** One dry-run input: the event it became, what came out (null: dropped), and what each step did. */
export interface DryRunItem {
  readonly input: unknown;
  readonly event: StampedEvent | null;
  readonly output: unknown;
  readonly dropped: boolean;
  readonly trace: TraceEntry[];
  /** Set when the input is not an event: nothing ran for it. */
  readonly error: InputProblem | null;
}

/** A stamped event as it is on the topic, or an envelope stamped the way the edge would (now, a new id). */
function toEvent(input: unknown, now: number): StampedEvent | InputProblem {
  const stamped = v.safeParse(stampedSchema, input);
  if (stamped.success) return stamped.output;
  const envelope = parseEvent('event', input);
  if (envelope.ok) return stampEvent(envelope.event, { now, newId: uuidv7 });
  return { code: envelope.code, path: envelope.path, message: envelope.message };
}

/** A dry run's answer: one item per input, or the budget it went past (nothing of it is returned then). */
export type DryRunAnswer = { readonly ok: true; readonly items: DryRunItem[] } | { readonly ok: false; readonly exceeded: BudgetExceeded };

/**
 * Runs the definition over the inputs with the same engine the workers use, reading lookups but writing nothing
 * (runSteps is pure; the lookup only selects). Inputs that are not events come back with `error` and no trace. The
 * run is bounded (PIPELINES_DRY_RUN_MAX_ITEMS step results, PIPELINES_DRY_RUN_MAX_MS of work), because it runs on the
 * gateway's one thread, between other clients' requests.
 */
export async function dryRun(ctx: GatewayContext, definition: PipelineDefinition, inputs: readonly unknown[], now = Date.now()): Promise<DryRunAnswer> {
  const converted = inputs.map((input) => toEvent(input, now));
  const events = converted.filter((e): e is StampedEvent => 'id' in e);
  const lookup = (table: string, keys: string[]): Promise<Map<string, JsonObject>> =>
    withPipelines(ctx, (sql, schema) => lookupEntries(sql, schema, table, keys));
  const budget = createBudget({ maxItems: ctx.config.pipelineDryRunMaxItems, maxMs: ctx.config.pipelineDryRunMaxMs });
  let results: Awaited<ReturnType<typeof runSteps>> = [];
  try {
    if (events.length > 0) results = await runSteps(definition, events, { lookup, now: () => now, budget });
  } catch (error) {
    if (error instanceof BudgetExceeded) return { ok: false, exceeded: error };
    throw error;
  }
  let next = 0;
  return { ok: true, items: inputs.map((input, i) => {
    const event = converted[i]!;
    if (!('id' in event)) return { input, event: null, output: null, dropped: false, trace: [], error: event };
    const result = results[next++]!;
    const trace = result.trace.map((t) => ({ step: t.step, type: t.type, before: t.before ?? null, after: t.after ?? null, note: t.note ?? null }));
    return { input, event, output: result.output, dropped: result.output === null, trace, error: null };
  }) };
}

/** The newest `count` dead letters' original events, oldest first (the order they were first consumed in). */
export function deadLetterInputs(ctx: GatewayContext, count: number): unknown[] {
  if (!ctx.dlq) throw new StoreUnavailable('kafka');
  const letters = ctx.dlq.page({}, count).items.reverse();
  // A payload that was not JSON is passed as its text, so the dry run says why it is not an event.
  return letters.map((letter) => letter.event ?? letter.payload);
}

export type { WindowResult } from '../shared/stores/windows.ts';

/** The runtime's window results for one pipeline, oldest window first; none yet (no table) reads as empty. */
export async function windowsOf(
  ctx: GatewayContext,
  { pipelineId, key, from, to }: { pipelineId: string; key?: string | null; from?: number | null; to?: number | null },
): Promise<WindowResult[]> {
  return ctx.read('postgres', async () => {
    try {
      return await readWindows(ctx.stores.sql, ctx.config.pgSchema, {
        pipelineId,
        ...(key != null && { key }),
        ...(from != null && { from: new Date(from) }),
        ...(to != null && { to: new Date(to) }),
      });
    } catch (error) {
      if (isMissingTable(error)) return [];
      throw error;
    }
  });
}

/** How lately a pipeline's windows moved: what the gateway can honestly say about its throughput. */
export interface PipelineActivity {
  readonly sinceMinutes: number;
  readonly windowsUpdated: number;
  readonly eventsCounted: number;
  readonly lastUpdate: Date | null;
}

const ACTIVITY_MINUTES = 5;

/**
 * Windows the runtime updated in the last few minutes and the events counted into them. Not events/s: the workers'
 * own counters are not reachable from here, and a pipeline without an aggregate step writes no windows at all.
 */
export async function activityOf(ctx: GatewayContext, pipelineId: string, now = Date.now()): Promise<PipelineActivity> {
  const since = now - ACTIVITY_MINUTES * 60_000;
  // Windows may be long (a 1 d window is updated all day), so the read goes back a day and filters on updated_at.
  const rows = await windowsOf(ctx, { pipelineId, from: now - 86_400_000 });
  const recent = rows.filter((r) => r.updatedAt.getTime() >= since);
  const last = rows.reduce<Date | null>((at, r) => (at === null || r.updatedAt > at ? r.updatedAt : at), null);
  return { sinceMinutes: ACTIVITY_MINUTES, windowsUpdated: recent.length, eventsCounted: recent.reduce((n, r) => n + r.count, 0), lastUpdate: last };
}
