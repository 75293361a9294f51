import type { DefinitionNode, ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { routeOf, type QueryMetrics } from '../metrics.ts';

const started = new WeakMap<Request, number>();

function outcomeOf(result: ExecutionResult): 'ok' | 'partial' | 'error' {
  if (!result.errors?.length) return 'ok';
  return result.data ? 'partial' : 'error';
}

/** Request counts and durations by route, and GraphQL operations by type and outcome. */
export function useMetrics(metrics: QueryMetrics): Plugin {
  return {
    onRequest({ request }) {
      started.set(request, performance.now());
    },
    onResponse({ request, response }) {
      const route = routeOf(new URL(request.url).pathname);
      metrics.requests.inc({ route, status: String(response.status) });
      const start = started.get(request);
      if (start !== undefined) metrics.duration.observe({ route }, (performance.now() - start) / 1000);
    },
    onExecute({ args }) {
      const definition = args.document.definitions.find((d: DefinitionNode) => d.kind === 'OperationDefinition');
      const operation = definition && 'operation' in definition ? definition.operation : 'query';
      return {
        onExecuteDone({ result }) {
          // Streams (incremental delivery) are counted once, as ok; single results by what they carry.
          const outcome = Symbol.asyncIterator in result ? 'ok' : outcomeOf(result);
          metrics.operations.inc({ operation, outcome });
        },
      };
    },
  };
}
