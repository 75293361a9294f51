import type { ExecutionArgs } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { limitError, shapeOf, type Limits } from '../limits.ts';

export interface LimitsOptions extends Limits {
  /** Called with the error code of every refused operation (metrics). */
  readonly onReject?: (code: string) => void;
}

/**
 * Refuses too-deep and too-costly operations before any resolver runs, for queries and subscriptions alike. At
 * execution rather than validation: the cost depends on variables, and yoga caches validation by document text.
 */
export function useLimits({ maxDepth, maxCost, onReject = () => {} }: LimitsOptions): Plugin {
  function refusal(args: ExecutionArgs) {
    const error = limitError(shapeOf(args.schema, args.document, args.operationName, args.variableValues), { maxDepth, maxCost });
    if (error) onReject(String(error.extensions['code']));
    return error;
  }
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const error = refusal(args);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const error = refusal(args);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}
