import type { ExecutionArgs } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { costError, shapeOf, type CostLimit } from '../limits.ts';

export interface LimitsOptions extends CostLimit {
  /** Called with the error code of every refused operation (metrics). */
  readonly onReject?: (code: string) => void;
}

/**
 * Refuses too-costly operations before any resolver runs, for queries and subscriptions alike. At execution rather
 * than validation: the cost depends on variables, and yoga caches validation by document text. The limits that need
 * only the document (tokens, aliases, directives, depth) refuse earlier, in use-document-limits.ts.
 */
export function useLimits({ maxCost, onReject = () => {} }: LimitsOptions): Plugin {
  function refusal(args: ExecutionArgs) {
    const error = costError(shapeOf(args.schema, args.document, args.operationName, args.variableValues), { maxCost });
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
