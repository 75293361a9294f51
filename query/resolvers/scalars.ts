import { GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { badInput } from '../errors.ts';

function toMillis(value: unknown): number {
  if (typeof value === 'string') {
    // Date-only and offset-less strings would be read in local time by Date.parse; an instant needs a zone.
    if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(value)) {
      const ms = Date.parse(value);
      if (Number.isFinite(ms)) return ms;
    }
  }
  throw badInput(`expected an ISO 8601 date-time with a zone (e.g. 2026-03-01T12:00:00Z), got ${JSON.stringify(value)}`);
}

/** Inside resolvers a DateTime is epoch ms; out it goes as an ISO string. */
export const DateTime = new GraphQLScalarType<number, string>({
  name: 'DateTime',
  serialize(value) {
    if (value instanceof Date) return value.toISOString();
    if (typeof value === 'number' && Number.isFinite(value)) return new Date(value).toISOString();
    if (typeof value === 'string') return new Date(toMillis(value)).toISOString();
    throw new TypeError(`DateTime cannot represent ${JSON.stringify(value)}`);
  },
  parseValue: toMillis,
  parseLiteral: (ast) => toMillis(ast.kind === Kind.STRING ? ast.value : undefined),
});

function toLong(value: unknown): number {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  throw badInput(`expected an integer up to 2^53 - 1, got ${JSON.stringify(value)}`);
}

export const Long = new GraphQLScalarType<number, number>({
  name: 'Long',
  serialize(value) {
    const n = typeof value === 'bigint' || typeof value === 'string' ? Number(value) : value;
    if (typeof n === 'number' && Number.isSafeInteger(n)) return n;
    throw new TypeError(`Long cannot represent ${String(value)}`);
  },
  parseValue: toLong,
  parseLiteral: (ast) => toLong(ast.kind === Kind.INT ? Number(ast.value) : undefined),
});

function literal(ast: ValueNode, variables?: Record<string, unknown> | null): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map((v) => literal(v, variables));
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literal(f.value, variables)]));
    case Kind.VARIABLE:
      return variables?.[ast.name.value];
    default:
      return undefined;
  }
}

export const JSONScalar = new GraphQLScalarType<unknown, unknown>({
  name: 'JSON',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: literal,
});
