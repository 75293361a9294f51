import {
  getArgumentValues,
  getNamedType,
  getVariableValues,
  isInterfaceType,
  isObjectType,
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { limitError } from './errors.ts';
import { bucketsOf, type Interval } from './search.ts';

/**
 * The cost of an operation, computed before it runs, in units of backend work:
 * - every field costs 1, introspection included, times the sizes of the lists it is nested in;
 * - a list's size is its page (`first`, `limit`, the number of `keys`, a dry run's `events`), the number of buckets
 *   of an `eventCounts` (its range / interval), 60 for liveStats' per-second and per-minute series, and
 *   INTROSPECTION_LIST for the schema's own lists that can nest (fields, inputFields, interfaces, ...);
 * - a field that searches or aggregates every event of a time range (`events`, `eventCounts`, `countEvents`,
 *   `topTypes`, `topSources`) also costs one per day of its range: events live in daily indices (and daily Postgres
 *   partitions), so each day is one more index to read. A range left open counts as OPEN_RANGE_DAYS.
 * - `delivery` costs one per hour of its range (a histogram per store and the Kafka offsets behind it), and its
 *   `minutes` list is as long as the range has minutes (DELIVERY_OPEN_MINUTES inside a fragment, whose range is not
 *   known where it is walked).
 * So `events(first: 100) { nodes { id } }` over the last day costs 1 + 1 + 100 * (1 + 1) = 202. Sizes come from the
 * arguments as they will execute (variables and defaults applied), which is why this runs at execution and not as a
 * cached validation rule.
 */
export interface QueryShape {
  readonly cost: number;
}

export const OPEN_RANGE_DAYS = 30;
/**
 * What each of the schema's own lists that can nest inside itself (a type's fields, whose types have fields, ...)
 * counts as; top-level lists (types, directives) and args cannot nest, so they count as 1. GraphiQL's schema query
 * costs 564 here, well under the default QUERY_MAX_COST; three copies of it under aliases do not fit. (graphql-js'
 * MaxIntrospectionDepthRule already refuses `fields` nested three deep, the way to multiply an answer's size.)
 */
export const INTROSPECTION_LIST = 3;

/** What a delivery's `minutes` list counts as where its range is not known (a fragment on Delivery): 24 hours. */
export const DELIVERY_OPEN_MINUTES = 1_440;

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
// `events`: a dry run answers per event given, so its list multiplies like a page.
const PAGE_ARGUMENTS = ['first', 'limit', 'keys', 'events'] as const;
const RANGE_FIELDS = new Set(['events', 'eventCounts', 'countEvents', 'topTypes', 'topSources']);
const FIXED_LISTS: Record<string, number> = {
  'LiveStats.perSecond': 60,
  'LiveStats.perMinute': 60,
  '__Type.fields': INTROSPECTION_LIST,
  '__Type.interfaces': INTROSPECTION_LIST,
  '__Type.possibleTypes': INTROSPECTION_LIST,
  '__Type.enumValues': INTROSPECTION_LIST,
  '__Type.inputFields': INTROSPECTION_LIST,
};

type Args = Record<string, unknown>;

function fieldOf(parent: GraphQLNamedType | undefined, name: string): GraphQLField<unknown, unknown> | undefined {
  if (name === '__schema') return SchemaMetaFieldDef;
  if (name === '__type') return TypeMetaFieldDef;
  return isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
}

function operationOf(document: DocumentNode, operationName?: string | null): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  return operationName ? operations.find((op) => op.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
}

function argumentsOf(field: GraphQLField<unknown, unknown> | undefined, node: FieldNode, variables: Args): Args {
  if (!field || field.args.length === 0) return {};
  try {
    return getArgumentValues(field, node, variables);
  } catch {
    return {}; // invalid arguments fail execution with their own error
  }
}

const millis = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/** The whole minutes a delivery covers (resolvers/delivery.ts rounds the same way), or undefined. */
function deliveryMinutes(args: Args): number | undefined {
  const from = millis(args['from']);
  const to = millis(args['to']);
  if (from === undefined || to === undefined || to <= from) return undefined;
  const start = Math.floor(from / MINUTE_MS) * MINUTE_MS;
  return Math.ceil((to - start) / MINUTE_MS);
}

function rangeDays(name: string, args: Args): number {
  if (name === 'delivery') return Math.ceil((deliveryMinutes(args) ?? DELIVERY_OPEN_MINUTES) / 60);
  if (!RANGE_FIELDS.has(name)) return 0;
  const range = (name === 'events' ? args['filter'] : args) as Args | null | undefined;
  const from = millis(range?.['from']);
  const to = millis(range?.['to']);
  if (from === undefined || to === undefined) return OPEN_RANGE_DAYS;
  return Math.max(1, Math.ceil((to - from) / DAY_MS));
}

function listSize(parent: string, name: string, args: Args, minutes: number): number {
  if (parent === 'Delivery' && name === 'minutes') return minutes;
  if (name === 'eventCounts') {
    const from = millis(args['from']);
    const to = millis(args['to']);
    if (from !== undefined && to !== undefined && to > from) return bucketsOf(from, to, (args['interval'] ?? 'MINUTE') as Interval);
  }
  for (const argument of PAGE_ARGUMENTS) {
    const value = args[argument];
    if (typeof value === 'number' && value > 0) return value;
    if (Array.isArray(value) && value.length > 0) return value.length;
  }
  return FIXED_LISTS[`${parent}.${name}`] ?? 1;
}

/** Called once per field node the operation selects, with its arguments as they will execute (see argumentError). */
export type FieldVisitor = (field: GraphQLField<unknown, unknown>, args: Record<string, unknown>, parentType: string) => void;

export function shapeOf(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName?: string | null,
  variableValues?: Record<string, unknown> | null,
  onField: FieldVisitor = () => {},
): QueryShape {
  const operation = operationOf(document, operationName);
  if (!operation) return { cost: 0 };
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variableValues ?? {});
  const variables = 'coerced' in coerced && coerced.coerced ? coerced.coerced : {};
  const fragments = new Map(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]),
  );
  // A selection's cost is linear in the multiplier it is walked under, so each fragment is walked once, at multiplier
  // 1, and scaled at every spread. Walking it again at each spread was exponential: 30 fragments that each spread the
  // one before twice (about 300 tokens) took 26 minutes of CPU, the gateway answering nothing meanwhile.
  const unitCosts = new Map<string, number>();
  const entered = new Set<string>();

  function fragmentCost(name: string): number {
    const known = unitCosts.get(name);
    if (known !== undefined) return known;
    const fragment = fragments.get(name);
    // Validation refuses unknown fragments and cycles before this runs; met anyway, they cost nothing.
    if (!fragment || entered.has(name)) return 0;
    entered.add(name);
    const cost = walk(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value) ?? undefined, 1);
    unitCosts.set(name, cost);
    return cost;
  }

  // `minutes`: the range of the delivery field being walked, for its `minutes` list.
  function walk(set: SelectionSetNode, parent: GraphQLNamedType | undefined, multiplier: number, minutes = DELIVERY_OPEN_MINUTES): number {
    let cost = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        const definition = fieldOf(parent, name);
        const args = argumentsOf(definition, selection, variables);
        if (definition) onField(definition, args, parent?.name ?? '');
        cost += multiplier * (1 + rangeDays(name, args));
        if (selection.selectionSet) {
          const inner = multiplier * listSize(parent?.name ?? '', name, args, minutes);
          const range = name === 'delivery' ? (deliveryMinutes(args) ?? DELIVERY_OPEN_MINUTES) : minutes;
          cost += walk(selection.selectionSet, definition ? getNamedType(definition.type) : undefined, inner, range);
        }
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        cost += walk(selection.selectionSet, type ?? undefined, multiplier, minutes);
      } else {
        cost += multiplier * fragmentCost(selection.name.value);
      }
    }
    return cost;
  }

  const root = schema.getRootType(operation.operation) ?? undefined;
  return { cost: walk(operation.selectionSet, root, 1) };
}

export interface CostLimit {
  readonly maxCost: number;
}

/** The error for an operation over the cost limit, or undefined. */
export function costError({ cost }: QueryShape, { maxCost }: CostLimit) {
  if (cost <= maxCost) return undefined;
  return limitError(
    'QUERY_TOO_COSTLY',
    `Query is too costly: cost ${cost} exceeds the limit of ${maxCost}. Ask for smaller pages (first/limit), shorter time ranges, larger intervals or fewer fields.`,
    { cost, maxCost, limit: maxCost },
  );
}
