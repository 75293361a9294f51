export { BudgetExceeded, createBudget, type Budget } from './budget.ts';
export { createEnricher, type Enricher, type EnrichResult, type EnrichStep, type Lookup } from './enrich.ts';
export { compileExpression, evaluate, ExpressionError, parseExpression, type Expr } from './expression.ts';
export { matches } from './filter.ts';
export { checkPipeline, limitProblem, pipelineLimitSettings, type PipelineCheck, type PipelineLimits, type PipelineProblem } from './limits.ts';
export { compileRegex, regexFinds, regexProblem, REGEX_MAX_LENGTH, REGEX_MAX_PROGRAM } from './regex.ts';
export { applyMap, checkMap, type MapStep } from './map.ts';
export { deletePath, getPath, setPath, type PipelineEvent } from './paths.ts';
export { eventTimeOf, runSteps, sourceMatches, toPipelineEvent, type AggregateInput, type EventRun, type RunOptions, type TraceEntry } from './run.ts';
export {
  addValue,
  bucketOf,
  bucketValue,
  emptyAccumulator,
  GAMMA,
  mergeAccumulators,
  quantileOf,
  statsOf,
  timingOf,
  windowsFor,
  type Accumulator,
  type TimeWindow,
  type WindowStats,
  type WindowTiming,
} from './windows.ts';
