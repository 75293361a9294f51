/**
 * Running the platform's own processes (edge, workers, query) beside everything else on the shared servers: the
 * isolation every test and bench uses lives in shared/testing/isolation.ts.
 */
export {
  createIsolatedKeys,
  createIsolatedTopics,
  isolatedEnv,
  isolatedHashKey,
  isolatedStoresEnv,
  isolation,
  isolationId,
  removeIsolated,
  type IsolatedKeys,
  type IsolatedPorts,
  type Isolation,
} from '../shared/testing/isolation.ts';
