import { parsePipeline, type PipelineDefinition } from '../../shared/contracts/index.ts';
import { checkMap } from '../../shared/pipelines/index.ts';

export interface StoredRunning {
  readonly id: string;
  readonly version: number;
  readonly definition: PipelineDefinition;
}

export interface ActivePipeline extends StoredRunning {
  /** `id@version`: changes when the definition does, so caches keyed by it cannot outlive an edit. */
  readonly revision: string;
}

export interface RegistryOptions {
  readonly load: () => Promise<readonly StoredRunning[]>;
  readonly refreshMs?: number;
  readonly log?: (line: string) => void;
  /** Called with the revisions that stopped or changed, so their caches can go. */
  readonly onRemoved?: (revisions: readonly string[]) => void;
}

/**
 * The set of running pipelines, re-read every `refreshMs`. A definition is re-validated on load (it fills defaults
 * such as allowedLateness, and a row written around the API must not crash workers): an invalid one is skipped with
 * one log line per revision. While Postgres cannot be read, the last known set stays in force.
 */
export function createPipelineRegistry({ load, refreshMs = 2_000, log = console.log, onRemoved = () => {} }: RegistryOptions) {
  let active: readonly ActivePipeline[] = [];
  let loaded = false;
  let timer: ReturnType<typeof setInterval> | undefined;
  let inFlight: Promise<boolean> | undefined;
  const reported = new Set<string>();
  let lastError = '';

  function accept(row: StoredRunning): ActivePipeline[] {
    const revision = `${row.id}@${row.version}`;
    const parsed = parsePipeline(row.definition);
    const problems = parsed.ok ? parsed.event.steps.flatMap((s, i) => (s.type === 'map' ? checkMap(s).map((p) => `steps.${i}.${p}`) : [])) : [`${parsed.path}: ${parsed.message}`];
    if (parsed.ok && problems.length === 0) return [{ ...row, definition: parsed.event, revision }];
    if (!reported.has(revision)) log(`pipeline ${revision} skipped: invalid definition (${problems.join('; ')})`);
    reported.add(revision);
    return [];
  }

  /** Re-reads now; resolves false (keeping the previous set) when the store cannot be read. */
  function refresh(): Promise<boolean> {
    inFlight ??= (async () => {
      try {
        const next = (await load()).flatMap(accept);
        const kept = new Set(next.map((p) => p.revision));
        const removed = active.filter((p) => !kept.has(p.revision)).map((p) => p.revision);
        const added = next.filter((p) => !active.some((a) => a.revision === p.revision)).map((p) => p.revision);
        active = next;
        loaded = true;
        lastError = '';
        if (added.length > 0) log(`pipelines started: ${added.join(', ')}`);
        if (removed.length > 0) {
          log(`pipelines stopped: ${removed.join(', ')}`);
          onRemoved(removed);
        }
        return true;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (message !== lastError) log(`pipelines: cannot read running pipelines (${(lastError = message)}); keeping the last known set`);
        return false;
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  }

  return {
    refresh,
    /** True once a load succeeded: before that, a batch must wait, or it would skip running pipelines. */
    loaded: () => loaded,
    current: () => active,
    start() {
      timer ??= setInterval(() => void refresh(), refreshMs);
      return refresh();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}

export type PipelineRegistry = ReturnType<typeof createPipelineRegistry>;
