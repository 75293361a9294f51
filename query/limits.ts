import {
  getArgumentValues,
  getNamedType,
  getVariableValues,
  GraphQLError,
  isInterfaceType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/**
 * Depth and cost of an operation, computed before it runs.
 * - depth: nesting of field selections; a root field is 1. Introspection (`__schema`, `__type`, `__typename`) is not
 *   counted, so GraphiQL's schema query is never refused.
 * - cost: every field costs 1 times the product of the page sizes (`first`, `limit`, or the length of `keys` or of a
 *   dry run's `events`) of the fields it is nested in, so `events(first: 100) { nodes { id } }` costs 1 + 100 * 2 = 201.
 *   Page sizes come from the arguments as they will execute (variables and defaults applied), which is why this runs
 *   at execution and not as a cached validation rule.
 */
export interface QueryShape {
  readonly depth: number;
  readonly cost: number;
}

// `events`: a dry run answers per event given, so its list multiplies like a page.
const PAGE_ARGUMENTS = ['first', 'limit', 'keys', 'events'] as const;

function operationOf(document: DocumentNode, operationName?: string | null): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  return operationName ? operations.find((op) => op.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
}

function multiplierOf(field: GraphQLField<unknown, unknown> | undefined, node: Parameters<typeof getArgumentValues>[1], variables: Record<string, unknown>): number {
  if (!field) return 1;
  let args: Record<string, unknown>;
  try {
    args = getArgumentValues(field, node, variables);
  } catch {
    return 1; // invalid arguments fail execution with their own error
  }
  for (const name of PAGE_ARGUMENTS) {
    const value = args[name];
    if (typeof value === 'number' && value > 0) return value;
    if (Array.isArray(value) && value.length > 0) return value.length;
  }
  return 1;
}

export function shapeOf(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName?: string | null,
  variableValues?: Record<string, unknown> | null,
): QueryShape {
  const operation = operationOf(document, operationName);
  if (!operation) return { depth: 0, cost: 0 };
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variableValues ?? {});
  const variables = 'coerced' in coerced && coerced.coerced ? coerced.coerced : {};
  const fragments = new Map(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]),
  );
  let depth = 0;

  function walk(set: SelectionSetNode, parent: GraphQLNamedType | undefined, level: number, multiplier: number, seen: Set<string>): number {
    let cost = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value.startsWith('__')) continue;
        depth = Math.max(depth, level);
        cost += multiplier;
        const field = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[selection.name.value] : undefined;
        if (selection.selectionSet) {
          const inner = multiplier * multiplierOf(field, selection, variables);
          cost += walk(selection.selectionSet, field ? getNamedType(field.type) : undefined, level + 1, inner, seen);
        }
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        cost += walk(selection.selectionSet, type ?? undefined, level, multiplier, seen);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        // Validation rejects fragment cycles; the guard keeps this safe if it ever runs on an unvalidated document.
        if (!fragment || seen.has(name)) continue;
        const type = schema.getType(fragment.typeCondition.name.value) ?? undefined;
        cost += walk(fragment.selectionSet, type, level, multiplier, new Set(seen).add(name));
      }
    }
    return cost;
  }

  const root = schema.getRootType(operation.operation) ?? undefined;
  const cost = walk(operation.selectionSet, root, 1, 1, new Set());
  return { depth, cost };
}

export interface Limits {
  readonly maxDepth: number;
  readonly maxCost: number;
}

/** The error for an operation over a limit, or undefined; http 400 because the request itself is at fault. */
export function limitError(shape: QueryShape, { maxDepth, maxCost }: Limits): GraphQLError | undefined {
  if (shape.depth > maxDepth) {
    return new GraphQLError(`Query is too deep: depth ${shape.depth} exceeds the limit of ${maxDepth}. Select fewer nested fields.`, {
      extensions: { code: 'QUERY_TOO_DEEP', depth: shape.depth, maxDepth, http: { status: 400 } },
    });
  }
  if (shape.cost > maxCost) {
    return new GraphQLError(
      `Query is too costly: cost ${shape.cost} exceeds the limit of ${maxCost}. Ask for smaller pages (first/limit) or fewer fields.`,
      { extensions: { code: 'QUERY_TOO_COSTLY', cost: shape.cost, maxCost, http: { status: 400 } } },
    );
  }
  return undefined;
}
