import * as v from 'valibot';
import { canonicalStamped, fromIssues, stampedSchema, type StampedEvent } from '../../shared/contracts/index.ts';
import { dlq, type StepResult } from '../outcomes.ts';

export const VALIDATE_REASONS = ['contract_violation'] as const;

/**
 * Step 2: parsed JSON → StampedEvent, by the same schema the edge stamps with. The topic is not trusted (anything with
 * access to it can write there), and an event that fails here could never be stored consistently in all three stores.
 * The message keeps the contract's issue code and path (`missing_field: receivedAt is required`) for whoever reads
 * the dead-letter topic; the reason stays one fixed label.
 */
export function validate(json: unknown): StepResult<StampedEvent> {
  const canonical = canonicalStamped(json);
  if (canonical) return { ok: true, value: canonical };
  const result = v.safeParse(stampedSchema, json);
  if (result.success) return { ok: true, value: result.output };
  const failure = fromIssues(result.issues);
  return { ok: false, outcome: dlq('contract_violation', `${failure.code}: ${failure.message}`) };
}
