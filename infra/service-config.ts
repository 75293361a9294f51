import { join } from 'node:path';
import { PRINT_CONFIG_FLAG, type PrintedComponent, type PrintedConfig } from '../shared/config/print.ts';

/**
 * A service's settings as the service itself reads them: `bun <entry> --print-config` with the given env, parsed.
 * infra/, bench/ and fuzz/ learn ports, hostnames and names this way rather than by importing a service's config
 * module, so the dependency rule (infra/boundaries.test.ts) holds and no copy of a default can drift.
 */
export const SERVICE_ENTRIES = { edge: 'edge/server.ts', workers: 'workers/main.ts', query: 'query/server.ts' } as const;
export type ServiceName = keyof typeof SERVICE_ENTRIES;

const ROOT = join(import.meta.dir, '..');
// Printing imports the service's modules but connects to nothing; anything slower than this is a hung process.
const PRINT_TIMEOUT_MS = 30_000;
const cache = new Map<string, PrintedConfig>();

export class ServiceConfigError extends Error {
  override readonly name = 'ServiceConfigError';
}

/** Every config spec `service` reads, by component, loaded from `env`; cached per process for the same env. */
export function serviceConfig(service: ServiceName, env: Record<string, string | undefined> = process.env): PrintedConfig {
  const key = `${service}\0${JSON.stringify(Object.entries(env).sort(([a], [b]) => (a < b ? -1 : 1)))}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const entry = SERVICE_ENTRIES[service];
  const proc = Bun.spawnSync([process.execPath, entry, PRINT_CONFIG_FLAG], { cwd: ROOT, env, stdout: 'pipe', stderr: 'pipe', timeout: PRINT_TIMEOUT_MS });
  if (proc.exitCode !== 0) {
    const reason = proc.stderr.toString().trim().replace(/^error: /, '') || `exit ${proc.exitCode ?? proc.signalCode}`;
    throw new ServiceConfigError(`${entry} ${PRINT_CONFIG_FLAG}: ${reason}`);
  }
  const printed = JSON.parse(proc.stdout.toString()) as PrintedConfig;
  cache.set(key, printed);
  return printed;
}

/** One component of a service's printed config; a component the service does not print is an error. */
export function componentOf(printed: PrintedConfig, component: string): PrintedComponent {
  const found = printed[component];
  if (!found) throw new ServiceConfigError(`no "${component}" settings in ${Object.keys(printed).join(', ')}`);
  return found;
}

function valueAt(component: PrintedComponent, key: string, type: 'number' | 'string'): unknown {
  const value = component.values[key];
  // A renamed or retyped setting fails here, by name, instead of as NaN or "undefined" in a URL later.
  if (typeof value !== type) throw new ServiceConfigError(`setting "${key}" is ${JSON.stringify(value)}, expected a ${type}`);
  return value;
}

export const numberOf = (component: PrintedComponent, key: string): number => valueAt(component, key, 'number') as number;
export const stringOf = (component: PrintedComponent, key: string): string => valueAt(component, key, 'string') as string;
