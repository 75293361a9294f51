import type { ExecutionArgs, GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { argumentError, type ArgumentBounds } from '../arguments.ts';
import { costError, shapeOf, type CostLimit } from '../limits.ts';

export interface LimitsOptions extends CostLimit, ArgumentBounds {
  /** Called with the error code of every refused operation (metrics). */
  readonly onReject?: (code: string) => void;
}

/**
 * Refuses too-costly operations, and operations with an argument over its bound (arguments.ts), before any resolver
 * runs, for queries and subscriptions alike. At execution rather than validation: the cost and the arguments depend
 * on variables, and yoga caches validation by document text. The limits that need only the document (tokens,
 * aliases, directives, depth) refuse earlier, in use-document-limits.ts.
 */
export function useLimits({ maxCost, onReject = () => {}, ...bounds }: LimitsOptions): Plugin {
  function refusal(args: ExecutionArgs) {
    let badArgument: GraphQLError | undefined;
    const shape = shapeOf(args.schema, args.document, args.operationName, args.variableValues, (field, values, parentType) => {
      badArgument ??= argumentError(field, values, parentType, bounds);
    });
    const error = badArgument ?? costError(shape, { maxCost });
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
