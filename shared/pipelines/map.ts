import type { JsonValue } from '../contracts/json.ts';
import type { PipelineStep } from '../contracts/pipeline.ts';
import { compileExpression, evaluate } from './expression.ts';
import { deletePath, getPath, setPath, type PipelineEvent } from './paths.ts';

export type MapStep = Extract<PipelineStep, { type: 'map' }>;

/**
 * Applies a map step in a fixed order: rename, drop, set, computed. Computed expressions read the event as it is
 * after rename/drop/set, so they can use renamed fields; all of them read that same snapshot, so their order in the
 * definition does not matter. Renaming a missing field does nothing (it does not create a null).
 */
export function applyMap(step: MapStep, event: PipelineEvent): PipelineEvent {
  let out = event;
  for (const [from, to] of Object.entries(step.rename ?? {})) {
    const value = getPath(out, from);
    if (value === undefined) continue;
    out = setPath(deletePath(out, from), to, value);
  }
  for (const path of step.drop ?? []) out = deletePath(out, path);
  for (const [path, value] of Object.entries(step.set ?? {})) out = setPath(out, path, value as JsonValue);
  const snapshot = out;
  for (const [path, source] of Object.entries(step.computed ?? {})) out = setPath(out, path, evaluate(compileExpression(source), snapshot));
  return out;
}

/** Problems with a map step that the contract's schema cannot see (expression syntax); empty when fine. */
export function checkMap(step: MapStep): string[] {
  return Object.entries(step.computed ?? {}).flatMap(([path, source]) => {
    try {
      compileExpression(source);
      return [];
    } catch (error) {
      return [`computed.${path}: ${(error as Error).message}`];
    }
  });
}
