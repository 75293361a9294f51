import { writeSync } from 'node:fs';
import { ConfigError, describeConfig, loadConfig, type ConfigEntries, type ConfigRow, type ConfigSpec } from './index.ts';

/** The flag every service entry point answers by printing its configuration and exiting. */
export const PRINT_CONFIG_FLAG = '--print-config';

/** One component's settings as a service prints them: the documented rows and the values loaded from its env. */
export interface PrintedComponent {
  readonly rows: ConfigRow[];
  readonly values: Record<string, unknown>;
}

/** What `<service> --print-config` writes to stdout: one entry per config spec the service reads, by component. */
export type PrintedConfig = Record<string, PrintedComponent>;

/**
 * Loads every spec from `env` and returns them by component. Throws one ConfigError listing the problems of every
 * spec, so a run with two bad variables in two components names both.
 */
export function collectConfig(specs: ReadonlyArray<ConfigSpec<ConfigEntries>>, env: Record<string, string | undefined> = process.env): PrintedConfig {
  const printed: PrintedConfig = {};
  const errors: ConfigError[] = [];
  for (const spec of specs) {
    try {
      printed[spec.component] = { rows: describeConfig(spec), values: redacted(loadConfig(spec, env)) };
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      errors.push(error);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new ConfigError(errors.map((e) => e.component).join(' and '), errors.flatMap((e) => e.problems));
  return printed;
}

const SECRET_NAME = /(password|secret|hashkey|apikey|token)$/i;

/**
 * The values with secrets masked: tools read ports and names from this output, and it ends up in terminals and CI
 * logs, so a hash key or a password inside a connection URL (user:password@host) is printed as `***`.
 */
function redacted(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (typeof value !== 'string' || value === '') out[key] = value;
    else if (SECRET_NAME.test(key)) out[key] = '***';
    else out[key] = value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
  }
  return out;
}

export interface PrintConfigOptions {
  readonly specs: ReadonlyArray<ConfigSpec<ConfigEntries>>;
  readonly argv?: readonly string[];
  readonly env?: Record<string, string | undefined>;
}

/**
 * Called first by each service entry point: with --print-config on the command line it prints the service's
 * settings as JSON and exits 0 before anything connects, so tools (infra/, bench/, fuzz/) learn its ports and
 * names by running it instead of importing its internals. A bad value exits 1 with the ConfigError lines.
 */
export function printConfigIfAsked({ specs, argv = process.argv, env = process.env }: PrintConfigOptions): void {
  if (!argv.includes(PRINT_CONFIG_FLAG)) return;
  try {
    // Written synchronously: process.exit right after an asynchronous write to a pipe can cut the JSON short.
    writeAll(`${JSON.stringify(collectConfig(specs, env))}\n`);
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  process.exit(0);
}

function writeAll(text: string): void {
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; ) at += writeSync(1, bytes, at);
}
