import { jsonObject, type JsonObject } from '../../shared/contracts/json.ts';
import type { PipelineDefinition } from '../../shared/contracts/pipeline.ts';
import type { BudgetExceeded } from '../../shared/pipelines/index.ts';
import * as store from '../../shared/stores/pipelines.ts';
import * as v from 'valibot';
import type { GatewayContext } from '../context.ts';
import { checkDefinition, deadLetterInputs, dryRun, ensureSinkTopic, windowsOf, withPipelines, type DryRunItem, type WindowResult } from '../pipelines.ts';
import { iso, json, jsonBody, RestError, timeParam } from './http.ts';
import { admin, read, type Handler, type Methods, type RestCall } from './route.ts';

/** The older DataPulse service's pipeline routes: CRUD, start/stop, dry runs, window results, lookup tables. */

/**
 * A definition within the contract and the PIPELINES_* limits, or 400 invalid_pipeline naming the step and field
 * (`steps.2.window.size`) and the setting that refused it (`limit`).
 */
function definitionOf(ctx: GatewayContext, input: unknown): PipelineDefinition {
  const checked = checkDefinition(ctx, input);
  if (!checked.ok) throw new RestError(400, 'invalid_pipeline', checked.message, { path: checked.path, issue: checked.code, ...(checked.limit && { limit: checked.limit }) });
  return checked.definition;
}

/** A definition ready to store: checked, and its sinkTopic created (422 sink_topic_refused when the broker will not). */
async function storable(ctx: GatewayContext, request: Request): Promise<PipelineDefinition> {
  const definition = definitionOf(ctx, await jsonBody(request));
  const refused = await ensureSinkTopic(ctx, definition);
  if (refused !== undefined) throw new RestError(422, 'sink_topic_refused', `sinkTopic: the broker refused to create it (${refused})`, { path: 'sinkTopic' });
  return definition;
}

const tooLarge = (e: BudgetExceeded) =>
  new RestError(413, 'dry_run_too_large', `the dry run was stopped after ${e.message}; send fewer events`, {
    limit: e.bound === 'items' ? 'PIPELINES_DRY_RUN_MAX_ITEMS' : 'PIPELINES_DRY_RUN_MAX_MS', max: e.max, step: e.step,
  });

const notFound = (id: string) => new RestError(404, 'not_found', `no pipeline ${JSON.stringify(id)}`, { id });

const pipelineJson = (p: store.StoredPipeline) => ({
  id: p.id, name: p.name, version: p.version, state: p.state,
  failure: p.failure && { reason: p.failure.reason, failed_at: iso(p.failure.at.getTime()) },
  definition: p.definition, created_at: iso(p.createdAt.getTime()), updated_at: iso(p.updatedAt.getTime()),
});

async function existing(ctx: GatewayContext, id: string): Promise<store.StoredPipeline> {
  const pipeline = await withPipelines(ctx, (sql, schema) => store.getPipeline(sql, schema, id));
  if (!pipeline) throw notFound(id);
  return pipeline;
}

const create: Handler = async ({ ctx, request }) => {
  const definition = await storable(ctx, request);
  return json(pipelineJson(await withPipelines(ctx, (sql, schema) => store.createPipeline(sql, schema, definition))), 201);
};

const list: Handler = async ({ ctx }) => {
  const pipelines = await withPipelines(ctx, (sql, schema) => store.listPipelines(sql, schema));
  return json({ pipelines: pipelines.map(pipelineJson), count: pipelines.length });
};

const getOne: Handler = async ({ ctx, params: [id = ''] }) => {
  const pipeline = await existing(ctx, id);
  const versions = await withPipelines(ctx, (sql, schema) => store.listPipelineVersions(sql, schema, id));
  return json({ ...pipelineJson(pipeline), versions: versions.map((ver) => ({ version: ver.version, created_at: iso(ver.createdAt.getTime()) })) });
};

const update: Handler = async ({ ctx, request, params: [id = ''] }) => {
  const definition = await storable(ctx, request);
  const updated = await withPipelines(ctx, (sql, schema) => store.updatePipeline(sql, schema, id, definition));
  if (!updated) throw notFound(id);
  return json(pipelineJson(updated));
};

const remove: Handler = async ({ ctx, params: [id = ''] }) => {
  if (!(await withPipelines(ctx, (sql, schema) => store.deletePipeline(sql, schema, id)))) throw notFound(id);
  return json({ id, deleted: true });
};

const setState =
  (state: store.SettableState): Handler =>
  async ({ ctx, params: [id = ''] }) => {
    const maxRunning = ctx.config.pipelineMaxRunning;
    const pipeline = await withPipelines(ctx, (sql, schema) => store.setPipelineState(sql, schema, id, state, { maxRunning })).catch((error: unknown) => {
      if (error instanceof store.TooManyRunning) throw new RestError(409, 'too_many_pipelines', error.message, { limit: 'PIPELINES_MAX_RUNNING', max: error.max });
      throw error;
    });
    if (!pipeline) throw notFound(id);
    return json(pipelineJson(pipeline));
  };

const dryRunBody = v.union([
  v.strictObject({ events: v.array(v.unknown()) }),
  v.strictObject({ deadLetters: v.pipe(v.number(), v.integer(), v.minValue(1)) }),
]);

const itemJson = (item: DryRunItem, index: number) => ({
  index, input: item.input, event: item.event, output: item.output, dropped: item.dropped, trace: item.trace, ...(item.error && { error: item.error }),
});

/** POST /api/pipelines/:id/dry-run: {events: [...]} or {deadLetters: N}; what each step does to each event. */
const dryRunRoute: Handler = async ({ ctx, request, params: [id = ''] }) => {
  const parsed = v.safeParse(dryRunBody, await jsonBody(request));
  if (!parsed.success) throw new RestError(400, 'invalid_parameter', 'the body must be {"events": [...]} or {"deadLetters": N}', { parameter: 'body' });
  const max = ctx.config.dryRunMaxEvents;
  const requested = 'events' in parsed.output ? parsed.output.events.length : parsed.output.deadLetters;
  if (requested > max) throw new RestError(400, 'invalid_parameter', `a dry run takes at most ${max} events`, { parameter: 'events' in parsed.output ? 'events' : 'deadLetters' });
  const pipeline = await existing(ctx, id);
  // Stored before a limit was lowered, it is what the workers now skip: say so rather than show what will not run.
  const definition = definitionOf(ctx, pipeline.definition);
  const inputs = 'events' in parsed.output ? parsed.output.events : deadLetterInputs(ctx, parsed.output.deadLetters);
  const answer = await dryRun(ctx, definition, inputs);
  if (!answer.ok) throw tooLarge(answer.exceeded);
  return json({ id, version: pipeline.version, results: answer.items.map(itemJson), count: answer.items.length, written: false });
};

const windowJson = (w: WindowResult) => ({
  step: w.step, key: w.key, window_start: iso(w.windowStart.getTime()), window_end: iso(w.windowEnd.getTime()), count: w.count, sum: w.sum, avg: w.avg, min: w.min, max: w.max,
  p50: w.p50, p95: w.p95, p99: w.p99, closed: w.closed, updated_at: iso(w.updatedAt.getTime()),
});

/** GET /api/pipelines/:id/window?key=&from=&to=: the runtime's window results, oldest window first. */
const windowRoute: Handler = async ({ url, ctx, params: [id = ''] }) => {
  const from = timeParam(url.searchParams, 'from');
  const to = timeParam(url.searchParams, 'to');
  if (from !== null && to !== null && from >= to) throw new RestError(400, 'invalid_parameter', 'from must be before to', { parameter: 'from' });
  await existing(ctx, id);
  const windows = await windowsOf(ctx, { pipelineId: id, key: url.searchParams.get('key') || null, from, to });
  return json({ id, windows: windows.map(windowJson), count: windows.length });
};

const TABLE = /^[a-z][a-z0-9_]{0,62}$/;
const lookupBody = v.record(v.pipe(v.string(), v.minLength(1)), jsonObject);

/** PUT /api/lookups/:table, body {key: {...}, ...}: loads (upserts) enrichment data for enrich steps. */
const putLookups: Handler = async ({ ctx, request, params: [table = ''] }: RestCall) => {
  if (!TABLE.test(table)) throw new RestError(400, 'invalid_parameter', 'the table name must be lower-case letters, digits and _', { parameter: 'table' });
  const parsed = v.safeParse(lookupBody, await jsonBody(request));
  if (!parsed.success) {
    const path = (parsed.issues[0].path ?? []).map((p) => String(p.key)).join('.');
    throw new RestError(400, 'invalid_parameter', `the body must be an object of key → JSON object${path ? ` (at ${path})` : ''}`, { parameter: 'body', path });
  }
  const entries = parsed.output as Record<string, JsonObject>;
  const loaded = await withPipelines(ctx, (sql, schema) => store.putLookupEntries(sql, schema, table, entries));
  return json({ table, loaded });
};

export const PIPELINE_ROUTES: ReadonlyArray<readonly [string, Methods]> = [
  ['/api/pipelines', { GET: read(list), POST: admin(create) }],
  ['/api/pipelines/:id', { GET: read(getOne), PUT: admin(update), DELETE: admin(remove) }],
  ['/api/pipelines/:id/start', { POST: admin(setState('running')) }],
  ['/api/pipelines/:id/stop', { POST: admin(setState('stopped')) }],
  ['/api/pipelines/:id/dry-run', { POST: admin(dryRunRoute) }],
  ['/api/pipelines/:id/window', { GET: read(windowRoute) }],
  ['/api/lookups/:table', { PUT: admin(putLookups) }],
];
