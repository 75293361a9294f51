import { getNullableType, isInputObjectType, isListType, isScalarType, type GraphQLField, type GraphQLInputType } from 'graphql';
import { badInput } from './errors.ts';

/**
 * Bounds on the strings an operation hands the stores (search text, ids, keys, type and source names, cursors),
 * checked on the arguments as they will execute (literals and variables alike) before any resolver runs.
 */
export interface ArgumentBounds {
  /** Longest full-text search (`events(query:)`). */
  readonly maxSearchChars: number;
  /** Longest other String or ID argument, in input objects and lists too. */
  readonly maxArgumentChars: number;
  /** Most strings one list argument may hold (types, sources, keys). */
  readonly maxArgumentItems: number;
}

/**
 * The search node analyses the text and matches every term against every data field: 100,000 characters of it took
 * seconds there. Other strings are matched whole (terms, ids, keys), so they only need to stay short of absurd.
 */
const SEARCH_ARGUMENTS = new Set(['Query.events.query']);

export type ArgumentIssue = 'too_long' | 'too_many_items';

interface Found {
  readonly issue: ArgumentIssue;
  /** Dotted, from the argument: `filter.types.3`. */
  readonly path: string;
  readonly index?: number;
  readonly found: number;
  readonly limit: number;
}

const isText = (type: GraphQLInputType): boolean => isScalarType(type) && (type.name === 'String' || type.name === 'ID');

function inspect(value: unknown, type: GraphQLInputType, path: string, maxChars: number, maxItems: number, index?: number): Found | undefined {
  if (value === null || value === undefined) return undefined;
  const inner = getNullableType(type);
  if (isListType(inner)) {
    if (!Array.isArray(value)) return inspect(value, inner.ofType, path, maxChars, maxItems, index);
    const item: GraphQLInputType = inner.ofType;
    // Only lists of strings are counted here: lists of JSON (a dry run's events) have their own bound where they are read.
    if (isText(getNullableType(item)) && value.length > maxItems) return { issue: 'too_many_items', path, found: value.length, limit: maxItems };
    for (let i = 0; i < value.length; i++) {
      const found = inspect(value[i], item, `${path}.${i}`, maxChars, maxItems, i);
      if (found) return found;
    }
    return undefined;
  }
  if (isInputObjectType(inner) && typeof value === 'object') {
    for (const [name, field] of Object.entries(inner.getFields())) {
      const found = inspect((value as Record<string, unknown>)[name], field.type, `${path}.${name}`, maxChars, maxItems);
      if (found) return found;
    }
    return undefined;
  }
  if (isText(inner) && typeof value === 'string' && value.length > maxChars) {
    return { issue: 'too_long', path, ...(index !== undefined && { index }), found: value.length, limit: maxChars };
  }
  return undefined;
}

const SETTING: Record<string, string> = {
  search: 'QUERY_MAX_SEARCH_CHARS',
  too_long: 'QUERY_MAX_ARGUMENT_CHARS',
  too_many_items: 'QUERY_MAX_ARGUMENT_ITEMS',
};

/**
 * BAD_USER_INPUT (400) for the first argument of `field` over a bound, naming the field, the argument and the path
 * inside it; undefined when every argument is within them.
 */
export function argumentError(
  field: GraphQLField<unknown, unknown>,
  args: Record<string, unknown>,
  parentType: string,
  { maxSearchChars, maxArgumentChars, maxArgumentItems }: ArgumentBounds,
) {
  for (const argument of field.args) {
    const search = SEARCH_ARGUMENTS.has(`${parentType}.${field.name}.${argument.name}`);
    const found = inspect(args[argument.name], argument.type, argument.name, search ? maxSearchChars : maxArgumentChars, maxArgumentItems);
    if (!found) continue;
    const setting = SETTING[search && found.issue === 'too_long' ? 'search' : found.issue];
    const measured = found.issue === 'too_long' ? `${found.found} characters long` : `a list of ${found.found} strings`;
    const bound = found.issue === 'too_long' ? `${found.limit} characters` : `${found.limit} strings`;
    return badInput(`\`${found.path}\` of ${field.name} is ${measured}; at most ${bound} (${setting}).`, {
      field: field.name,
      argument: argument.name,
      path: found.path,
      ...(found.index !== undefined && { index: found.index }),
      issue: found.issue,
      found: found.found,
      limit: found.limit,
      http: { status: 400 },
    });
  }
  return undefined;
}
