import type { JsonObject, JsonValue } from '../contracts/json.ts';
import { memoize } from '../memo.ts';

/**
 * A pipeline works on the event as a plain JSON object: the stamped fields (`id`, `type`, `key`, `source`,
 * `timestamp`, `receivedAt`) at the top and the payload under `data`, so one dotted path syntax (`data.amount`,
 * `type`) reaches all of it. Steps never mutate their input: each returns a copy, which keeps traces honest.
 */
export type PipelineEvent = JsonObject;

const isObject = (v: JsonValue | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Paths come from pipeline definitions, so there are few: each is split once, not once per event and step. */
const segmentsOf = memoize((path: string): readonly string[] => path.split('.'), 10_000);

/** The value at a dotted path, or undefined when any segment is missing or not an object. */
export function getPath(event: PipelineEvent, path: string): JsonValue | undefined {
  let node: JsonValue | undefined = event;
  for (const segment of segmentsOf(path)) {
    if (!isObject(node) || !Object.hasOwn(node, segment)) return undefined;
    node = node[segment];
  }
  return node;
}

/** A copy with `value` at `path`, creating (or replacing non-object) intermediate objects; the input is untouched. */
export function setPath(event: PipelineEvent, path: string, value: JsonValue): PipelineEvent {
  const [head, ...rest] = path.split('.') as [string, ...string[]];
  if (rest.length === 0) return { ...event, [head]: value };
  const child = event[head];
  return { ...event, [head]: setPath(isObject(child) ? child : {}, rest.join('.'), value) };
}

/** A copy without the field at `path`; the same object when there is nothing to remove. */
export function deletePath(event: PipelineEvent, path: string): PipelineEvent {
  const [head, ...rest] = path.split('.') as [string, ...string[]];
  if (!Object.hasOwn(event, head)) return event;
  if (rest.length === 0) {
    const { [head]: _removed, ...kept } = event;
    return kept;
  }
  const child = event[head];
  return isObject(child) ? { ...event, [head]: deletePath(child, rest.join('.')) } : event;
}
