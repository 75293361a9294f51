import * as v from 'valibot';
import { positiveInt, setting } from '../config/index.ts';
import { durationMs, parsePipeline, type PipelineDefinition } from '../contracts/pipeline.ts';
import type { ParseFailure } from '../contracts/codes.ts';
import { checkMap } from './map.ts';

/**
 * The bounds a pipeline definition must stay within. The gateway checks them when a definition is created, updated
 * or dry-run, and every worker again when it loads one (a row written around the API, or a bound lowered since), so
 * both read the same PIPELINES_* variables: these entries are spread into the gateway's and the workers' config.
 */
const duration = v.pipe(v.string(), v.regex(/^\d+(ms|s|m|h|d)$/, 'expected a duration like 500ms, 10s, 1m, 1h or 1d'));
const count = v.pipe(v.number('expected a number'), v.integer('expected an integer'), v.minValue(0));
const topicPrefix = v.pipe(v.string(), v.regex(/^[A-Za-z0-9._-]{1,200}$/, 'expected 1 to 200 of A-Z a-z 0-9 . _ -'));

export const pipelineLimitSettings = {
  pipelineWindowMaxSize: setting(duration, '7d', 'Longest window (size) an aggregate step may have; longer is refused at the step\'s window.size.', {
    env: 'PIPELINES_WINDOW_MAX_SIZE',
  }),
  pipelineWindowMaxPerEvent: setting(
    positiveInt,
    1_000,
    'Most windows one event may fall in (hopping windows: size / hop); each costs window state per event. More is refused at window.hop.',
    { env: 'PIPELINES_WINDOW_MAX_PER_EVENT' },
  ),
  pipelineWindowMaxLateness: setting(duration, '7d', 'Longest allowedLateness; windows stay open (state kept) this long after their end.', {
    env: 'PIPELINES_WINDOW_MAX_LATENESS',
  }),
  pipelineSinkTopicPrefix: setting(
    topicPrefix,
    'pipelines.',
    'Every sinkTopic must start with this, so a pipeline cannot write into `events` (a feedback loop) or a dead-letter topic.',
    { env: 'PIPELINES_SINK_TOPIC_PREFIX' },
  ),
  pipelineSinkTopicPartitions: setting(count, 0, 'Partitions of a sinkTopic the gateway creates; 0 = the broker\'s num.partitions (as `events` gets).', {
    env: 'PIPELINES_SINK_TOPIC_PARTITIONS',
  }),
  pipelineSinkTopicReplication: setting(count, 0, 'Replication factor of a sinkTopic the gateway creates; 0 = the broker\'s default.replication.factor.', {
    env: 'PIPELINES_SINK_TOPIC_REPLICATION',
  }),
  pipelineMaxRunning: setting(positiveInt, 20, 'Most pipelines running at once (every worker runs each one over every batch); starting one more is refused with too_many_pipelines.', {
    env: 'PIPELINES_MAX_RUNNING',
  }),
  pipelineDryRunMaxMs: setting(positiveInt, 1_000, 'Work one dry run may take in the gateway; past it the answer is dry_run_too_large.', {
    env: 'PIPELINES_DRY_RUN_MAX_MS',
  }),
  pipelineDryRunMaxItems: setting(
    positiveInt,
    10_000,
    'Step results one dry run may produce (each event through each step, plus each window it falls in); past it the answer is dry_run_too_large.',
    { env: 'PIPELINES_DRY_RUN_MAX_ITEMS' },
  ),
};

type LimitConfig = { [K in keyof typeof pipelineLimitSettings]: v.InferOutput<(typeof pipelineLimitSettings)[K]> };

/** A definition refused; `limit` names the setting that refused it, when one did. */
export interface PipelineProblem extends ParseFailure {
  readonly limit?: string;
}
export type PipelineCheck = { readonly ok: true; readonly definition: PipelineDefinition } | PipelineProblem;

const refuse = (path: string, problem: string, limit?: string): PipelineProblem => ({
  ok: false, code: 'invalid_value', path, message: `${path}: ${problem}`, ...(limit && { limit }),
});

/** Bounds the contract's schema cannot hold, because they are settings; the first one broken, or undefined. */
export function limitProblem(definition: PipelineDefinition, limits: LimitConfig): PipelineProblem | undefined {
  const prefix = limits.pipelineSinkTopicPrefix;
  const topic = definition.sinkTopic;
  if (topic !== undefined && (!topic.startsWith(prefix) || topic.length === prefix.length)) {
    return refuse('sinkTopic', `must start with "${prefix}" followed by a name`, 'PIPELINES_SINK_TOPIC_PREFIX');
  }
  const maxSize = durationMs(limits.pipelineWindowMaxSize);
  const maxLateness = durationMs(limits.pipelineWindowMaxLateness);
  for (const [i, step] of definition.steps.entries()) {
    if (step.type === 'map') {
      const [problem] = checkMap(step);
      if (problem) return refuse(`steps.${i}.${problem.slice(0, problem.indexOf(':'))}`, problem.slice(problem.indexOf(':') + 2));
    }
    if (step.type !== 'aggregate') continue;
    const { size, hop, allowedLateness } = step.window;
    const sizeMs = durationMs(size);
    if (sizeMs > maxSize) return refuse(`steps.${i}.window.size`, `is longer than ${limits.pipelineWindowMaxSize}`, 'PIPELINES_WINDOW_MAX_SIZE');
    if (step.window.kind === 'hopping' && hop !== undefined && Math.ceil(sizeMs / durationMs(hop)) > limits.pipelineWindowMaxPerEvent) {
      return refuse(`steps.${i}.window.hop`, `puts each event in more than ${limits.pipelineWindowMaxPerEvent} windows (size / hop)`, 'PIPELINES_WINDOW_MAX_PER_EVENT');
    }
    if (durationMs(allowedLateness) > maxLateness) {
      return refuse(`steps.${i}.window.allowedLateness`, `is longer than ${limits.pipelineWindowMaxLateness}`, 'PIPELINES_WINDOW_MAX_LATENESS');
    }
  }
  return undefined;
}

/** The contract, then the limits: what the gateway accepts and what a worker runs are the same definitions. */
export function checkPipeline(input: unknown, limits: LimitConfig): PipelineCheck {
  const parsed = parsePipeline(input);
  if (!parsed.ok) return parsed;
  return limitProblem(parsed.event, limits) ?? { ok: true, definition: parsed.event };
}

export type PipelineLimits = LimitConfig;
