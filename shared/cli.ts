import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface CliOptions<O extends Options> {
  /** Printed on --help (stdout, exit 0); a bad flag gets one line that points at --help instead. */
  readonly usage: string;
  readonly options: O;
  readonly allowPositionals?: boolean;
  readonly args?: string[];
  /** Where the usage and the error line go; the process exits after writing (tests pass their own). */
  readonly exit?: (code: number, text: string) => never;
}

const exitWith = (code: number, text: string): never => {
  (code === 0 ? process.stdout : process.stderr).write(`${text}\n`);
  process.exit(code);
};

/**
 * node:util's parseArgs in strict mode plus the two conventions every command here shares: `--help`/`-h` prints the
 * usage and exits 0; an unknown flag or a missing value exits 2 with one line (POSIX utilities' usage-error status).
 */
export function parseCli<O extends Options>({ usage, options, allowPositionals = false, args = process.argv.slice(2), exit = exitWith }: CliOptions<O>) {
  const all = { ...options, help: { type: 'boolean', short: 'h' } } as const;
  let parsed;
  try {
    parsed = parseArgs({ args, options: all, allowPositionals, strict: true });
  } catch (error) {
    const line = (error as Error).message.split('\n')[0];
    return exit(2, `error: ${line} (--help shows the usage)`);
  }
  if ((parsed.values as { help?: boolean }).help) exit(0, usage);
  return parsed;
}

/** A flag's value as a positive integer, or exit 2 with one line naming the flag. */
export function positiveInt(name: string, raw: string | undefined, fallback: number, exit = exitWith): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (Number.isInteger(n) && n > 0) return n;
  return exit(2, `error: --${name} expects a positive integer, got ${JSON.stringify(raw)}`);
}
