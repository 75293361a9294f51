import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ChildStatus } from './supervisor.ts';
import type { Registry } from './telemetry/metrics.ts';

/** What a supervisor's status file holds: read by `npm run status` and by operators with `cat` or `jq`. */
export interface SupervisorStatusFile {
  readonly supervisor: string;
  readonly pid: number;
  readonly updatedAt: string;
  readonly processes: readonly ChildStatus[];
}

/**
 * An `onChange` for createSupervisor that writes the status as JSON to `file` on every change, and the registry (its
 * restart counter) beside it as `<file without .json>.prom`, the format node_exporter's textfile collector reads.
 * Each file is written whole and renamed into place, so a reader never sees half of one.
 */
export function statusFileWriter({ file, supervisor, registry }: { file: string; supervisor: string; registry?: Registry }) {
  mkdirSync(dirname(file), { recursive: true });
  return function writeStatusFile(processes: readonly ChildStatus[]): void {
    const body: SupervisorStatusFile = { supervisor, pid: process.pid, updatedAt: new Date().toISOString(), processes };
    replace(file, `${JSON.stringify(body, null, 2)}\n`);
    if (registry) replace(file.replace(/\.json$/, '') + '.prom', registry.render({ processMetrics: false }));
  };
}

function replace(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** Reads a status file written by statusFileWriter; undefined when there is none. */
export async function readStatusFile(file: string): Promise<SupervisorStatusFile | undefined> {
  const f = Bun.file(file);
  if (!(await f.exists())) return undefined;
  return (await f.json()) as SupervisorStatusFile;
}
