import { dlq, type StepResult } from '../outcomes.ts';

export const DECODE_REASONS = ['invalid_json'] as const;

// fatal: bytes that are not UTF-8 are dead-lettered as they are, rather than quietly becoming U+FFFD and being stored.
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Step 1: a message's value bytes → parsed JSON. Only the shape of the bytes is checked here; whether the JSON is an
 * event is the next step's question, so the dead-letter record says which of the two went wrong.
 */
export function decode(value: Uint8Array | null): StepResult<unknown> & { text?: string } {
  if (value === null || value.byteLength === 0) return { ok: false, outcome: dlq('invalid_json', 'the message has no value') };
  try {
    const text = decoder.decode(value);
    // The text rides along so the search sink can send it as it came (eventText) instead of serialising again.
    return { ok: true, value: JSON.parse(text) as unknown, text };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return { ok: false, outcome: dlq('invalid_json', `is not UTF-8 JSON: ${detail}`.slice(0, 500)) };
  }
}
