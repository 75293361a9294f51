/**
 * `<what><time><random>` in lower-case letters, digits and underscores: one string that is at once a valid Kafka
 * topic, Elasticsearch index prefix, unquoted Postgres identifier and Redis key prefix, unique per run so runs on the
 * shared servers can repeat and overlap.
 */
export function uniqueName(what: string): string {
  const prefix = what.toLowerCase().replace(/[^a-z0-9_]/g, '_').replace(/^[^a-z]+/, '').slice(0, 32) || 'run';
  return `${prefix}${Date.now().toString(36)}${crypto.randomUUID().replaceAll('-', '').slice(0, 6)}`;
}
