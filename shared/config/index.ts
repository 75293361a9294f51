import * as v from 'valibot';

/**
 * Per-component configuration: one strict valibot schema per component, read from the environment once at start.
 *
 * Each entry is `v.optional(v.pipe(<base schema>, ...checks, v.description(...)), <default>)`. The env variable is
 * `<PREFIX>_<KEY_IN_SNAKE_CASE>` unless the pipe carries `v.metadata({ env: 'NAME' })` (for conventional names such
 * as DATABASE_URL). Values are coerced from strings by the base schema's type, so the schema stays the single source
 * of truth for validation, defaults and the generated docs (docs/configuration.md).
 */
export type ConfigEntries = Record<string, v.GenericSchema>;
export type ConfigSchema<E extends ConfigEntries = ConfigEntries> = v.StrictObjectSchema<E, undefined>;

export interface ConfigSpec<E extends ConfigEntries> {
  /** Component name, used in errors and docs. */
  readonly component: string;
  /** Env prefix without the trailing underscore, e.g. `EDGE`. */
  readonly prefix: string;
  readonly schema: ConfigSchema<E>;
}

export interface ConfigRow {
  key: string;
  env: string;
  type: string;
  default: unknown;
  description: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly component: string,
    readonly problems: string[],
  ) {
    super(`invalid ${component} configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

export function defineConfig<E extends ConfigEntries>(component: string, prefix: string, entries: E): ConfigSpec<E> {
  return { component, prefix, schema: v.strictObject(entries) };
}

/** Builds the optional-with-default entry shape this module understands. */
export function setting<S extends v.GenericSchema>(
  base: S,
  defaultValue: v.InferOutput<S>,
  description: string,
  options: { env?: string } = {},
) {
  const described = v.pipe(base, v.description(description), v.metadata({ env: options.env }));
  return v.optional(described, defaultValue as never);
}

export type ConfigOf<S extends ConfigSpec<ConfigEntries>> = v.InferOutput<S['schema']>;

const snake = (key: string) => key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

interface Introspected {
  baseType: string;
  description: string;
  env?: string;
  default: unknown;
}

function introspect(schema: v.GenericSchema): Introspected {
  let node = schema as v.GenericSchema & { wrapped?: v.GenericSchema; default?: unknown; pipe?: unknown[] };
  let def: unknown;
  if (node.type === 'optional') {
    def = typeof node.default === 'function' ? (node.default as () => unknown)() : node.default;
    node = node.wrapped as typeof node;
  }
  const meta = v.getMetadata(node as never) as { env?: string };
  const first = (node.pipe?.[0] ?? node) as { type: string; pipe?: Array<{ type: string }> };
  // A nested pipe (e.g. a reusable `port` schema) keeps its base type in its own first element.
  const baseType = first.pipe?.[0]?.type ?? first.type;
  return { baseType, description: v.getDescription(node as never) ?? '', env: meta?.env, default: def };
}

export function envNameOf(spec: ConfigSpec<ConfigEntries>, key: string): string {
  const entry = spec.schema.entries[key];
  return (entry && introspect(entry).env) || `${spec.prefix}_${snake(key)}`;
}

function coerce(raw: string, baseType: string): unknown {
  switch (baseType) {
    case 'number': {
      const n = raw.trim() === '' ? Number.NaN : Number(raw);
      return n;
    }
    case 'boolean':
      if (/^(1|true|yes|on)$/i.test(raw)) return true;
      if (/^(0|false|no|off)$/i.test(raw)) return false;
      return raw;
    case 'array':
      return raw.split(',').map((s) => s.trim()).filter(Boolean);
    default:
      return raw;
  }
}

/**
 * Reads a component's config: overrides (programmatic, strict: unknown keys are rejected) on top of env vars on top of
 * defaults. Throws ConfigError naming every bad variable and what it expected.
 */
export function loadConfig<E extends ConfigEntries>(
  spec: ConfigSpec<E>,
  env: Record<string, string | undefined> = process.env,
  overrides: Record<string, unknown> = {},
): v.InferOutput<ConfigSchema<E>> {
  const input: Record<string, unknown> = {};
  const sourceOf: Record<string, string> = {};
  for (const [key, schema] of Object.entries(spec.schema.entries)) {
    const info = introspect(schema);
    const name = info.env || `${spec.prefix}_${snake(key)}`;
    const raw = env[name];
    if (raw !== undefined && raw !== '') {
      input[key] = coerce(raw, info.baseType);
      sourceOf[key] = `${name}=${JSON.stringify(raw)}`;
    }
  }
  for (const [key, value] of Object.entries(overrides)) {
    input[key] = value;
    sourceOf[key] = `option ${key}`;
  }
  const result = v.safeParse(spec.schema, input);
  if (result.success) return result.output;
  const problems = result.issues.map((issue) => {
    const key = String(issue.path?.[0]?.key ?? '');
    if (!(key in spec.schema.entries)) return `unknown setting "${key}" (known: ${Object.keys(spec.schema.entries).join(', ')})`;
    const name = sourceOf[key] ?? envNameOf(spec as never, key);
    return `${name}: ${issue.message}`;
  });
  throw new ConfigError(spec.component, problems);
}

/** Rows for docs: one per setting with its env name, type, default and description. */
export function describeConfig(spec: ConfigSpec<ConfigEntries>): ConfigRow[] {
  return Object.entries(spec.schema.entries).map(([key, schema]) => {
    const info = introspect(schema);
    return {
      key,
      env: info.env || `${spec.prefix}_${snake(key)}`,
      type: info.baseType,
      default: info.default,
      description: info.description,
    };
  });
}

/** Reusable bases. */
export const port = v.pipe(v.number('expected a number'), v.integer('expected an integer'), v.minValue(1), v.maxValue(65535));
export const positiveInt = v.pipe(v.number('expected a number'), v.integer('expected an integer'), v.minValue(1));
export const url = v.pipe(v.string(), v.url('expected a URL'));
