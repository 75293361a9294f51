import type { Sql } from 'postgres';

/**
 * Deletes a pipeline's window state and results (replay --rebuild), so a replay from the start of the topic
 * rebuilds them instead of skipping every offset it already applied. One transaction: no half-reset state.
 */
export async function resetWindows(sql: Sql, schema: string, pipelineId: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name ${JSON.stringify(schema)}`);
  await sql.begin(async (tx) => {
    const [found] = await tx.unsafe<Array<{ t: string | null }>>(`select to_regclass($1)::text as t`, [`${schema}.window_results`]);
    if (!found?.t) return; // never migrated: nothing to reset
    for (const table of ['window_partials', 'window_partitions', 'window_results', 'window_late']) {
      await tx.unsafe(`delete from ${schema}.${table} where pipeline_id = $1`, [pipelineId]);
    }
  });
}
