import { GraphQLError } from 'graphql';
import type { PipelineDefinition } from '../../shared/contracts/pipeline.ts';
import * as store from '../../shared/stores/pipelines.ts';
import type { GatewayContext } from '../context.ts';
import { badInput } from '../errors.ts';
import { activityOf, checkDefinition, dryRun, ensureSinkTopic, windowsOf, withPipelines, type WindowResult } from '../pipelines.ts';
import { checkRange } from '../search.ts';
import { pageSize } from './paging.ts';

/**
 * A definition within the contract and the PIPELINES_* limits, or BAD_USER_INPUT whose extensions.path names the
 * step index and field (`steps.2.window.size`) and `limit` the setting that refused it.
 */
function definitionOf(ctx: GatewayContext, input: unknown): PipelineDefinition {
  const checked = checkDefinition(ctx, input);
  if (!checked.ok) throw badInput(checked.message, { argument: 'definition', path: checked.path, issue: checked.code, ...(checked.limit && { limit: checked.limit }) });
  return checked.definition;
}

/** Checked, with its sinkTopic created; a topic the broker refuses is BAD_USER_INPUT with issue sink_topic_refused. */
async function storable(ctx: GatewayContext, input: unknown): Promise<PipelineDefinition> {
  const definition = definitionOf(ctx, input);
  const refused = await ensureSinkTopic(ctx, definition);
  if (refused !== undefined) throw badInput(`sinkTopic: the broker refused to create it (${refused})`, { argument: 'definition', path: 'sinkTopic', issue: 'sink_topic_refused' });
  return definition;
}

const limitError = (code: string, message: string, status: number, extra: Record<string, unknown>) =>
  new GraphQLError(message, { extensions: { code, ...extra, http: { status } } });

const notFound = (id: string) => new GraphQLError(`no pipeline ${JSON.stringify(id)}`, { extensions: { code: 'NOT_FOUND', id } });

function found<T>(value: T | null, id: string): T {
  if (value === null) throw notFound(id);
  return value;
}

type Id = { id: string };

const pipelines = (_: unknown, __: unknown, ctx: GatewayContext) => withPipelines(ctx, (sql, schema) => store.listPipelines(sql, schema));
const pipeline = (_: unknown, { id }: Id, ctx: GatewayContext) => withPipelines(ctx, (sql, schema) => store.getPipeline(sql, schema, id));

interface WindowsArgs {
  pipeline: string;
  key?: string | null;
  from?: number | null;
  to?: number | null;
  limit?: number | null;
}

async function windows(_: unknown, { pipeline: pipelineId, key, from, to, limit }: WindowsArgs, ctx: GatewayContext) {
  checkRange(from, to);
  const size = pageSize(limit, ctx.config.maxFirst, 'limit', 100);
  const rows = await windowsOf(ctx, { pipelineId, key: key ?? null, from: from ?? null, to: to ?? null });
  return rows.slice(-size);
}

async function createPipeline(_: unknown, { definition }: { definition: unknown }, ctx: GatewayContext) {
  const checked = await storable(ctx, definition);
  return withPipelines(ctx, (sql, schema) => store.createPipeline(sql, schema, checked));
}

async function updatePipeline(_: unknown, { id, definition }: Id & { definition: unknown }, ctx: GatewayContext) {
  const checked = await storable(ctx, definition);
  return found(await withPipelines(ctx, (sql, schema) => store.updatePipeline(sql, schema, id, checked)), id);
}

const deletePipeline = (_: unknown, { id }: Id, ctx: GatewayContext) => withPipelines(ctx, (sql, schema) => store.deletePipeline(sql, schema, id));

const setState = (state: store.SettableState) => async (_: unknown, { id }: Id, ctx: GatewayContext) => {
  const maxRunning = ctx.config.pipelineMaxRunning;
  try {
    return found(await withPipelines(ctx, (sql, schema) => store.setPipelineState(sql, schema, id, state, { maxRunning })), id);
  } catch (error) {
    if (error instanceof store.TooManyRunning) throw limitError('TOO_MANY_PIPELINES', error.message, 409, { limit: 'PIPELINES_MAX_RUNNING', max: error.max });
    throw error;
  }
};

async function dryRunPipeline(_: unknown, { id, events }: Id & { events: unknown[] }, ctx: GatewayContext) {
  const max = ctx.config.dryRunMaxEvents;
  if (events.length > max) throw badInput(`a dry run takes at most ${max} events, got ${events.length}`, { argument: 'events' });
  const stored = found(await withPipelines(ctx, (sql, schema) => store.getPipeline(sql, schema, id)), id);
  const answer = await dryRun(ctx, definitionOf(ctx, stored.definition), events);
  if (answer.ok) return answer.items;
  const { bound, step } = answer.exceeded;
  throw limitError('DRY_RUN_TOO_LARGE', `the dry run was stopped after ${answer.exceeded.message}; send fewer events`, 413, {
    limit: bound === 'items' ? 'PIPELINES_DRY_RUN_MAX_ITEMS' : 'PIPELINES_DRY_RUN_MAX_MS', max: answer.exceeded.max, step,
  });
}

export const pipelineResolvers = {
  Query: { pipelines, pipeline, windows },
  Mutation: { createPipeline, updatePipeline, deletePipeline, startPipeline: setState('running'), stopPipeline: setState('stopped'), dryRunPipeline },
  // Internal values are the stored lower-case states; the schema shows the usual upper-case enum names.
  PipelineState: { RUNNING: 'running', STOPPED: 'stopped', FAILED: 'failed' },
  WindowResult: {
    start: (w: WindowResult) => w.windowStart,
    end: (w: WindowResult) => w.windowEnd,
  },
  Pipeline: {
    versions: (p: store.StoredPipeline, _: unknown, ctx: GatewayContext) => withPipelines(ctx, (sql, schema) => store.listPipelineVersions(sql, schema, p.id)),
    activity: (p: store.StoredPipeline, _: unknown, ctx: GatewayContext) => activityOf(ctx, p.id),
  },
};
