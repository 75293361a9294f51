/**
 * The dependency rule of the README's Architecture section, checked by infra/boundaries.test.ts:
 * edge, workers and query use shared/ only; shared/ imports none of them; infra/, bench/ and fuzz/ run the services
 * as processes (infra/service-config.ts reads their settings with --print-config) rather than importing them.
 * Tests and test fixtures are held to the same rules as the code they sit beside: a fixture two parts need lives in
 * shared/ (Vector's test_util, Hono's test-utils), so no test reaches into another service.
 */
const SERVICES = '^(edge|workers|query)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'services-use-only-shared',
      comment:
        'edge, workers and query each import their own folder, shared/, packages and built-ins only: a service that ' +
        'imports another would be deployed, versioned and restarted with it, and the edge is scaled apart from the workers.',
      severity: 'error',
      from: { path: '^(edge|workers|query)/' },
      to: { pathNot: ['^$1/', '^shared/', 'node_modules'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'shared-imports-no-component',
      comment: 'shared/ is what every component builds on; importing one of them would make every other depend on it too.',
      severity: 'error',
      from: { path: '^shared/' },
      to: { path: '^(edge|workers|query|infra|bench|fuzz)/' },
    },
    {
      name: 'tools-run-services-as-processes',
      comment:
        'infra/, bench/ and fuzz/ start the services and talk to them over HTTP, Kafka and the stores, as a user ' +
        'would; they may import shared/ and infra/ but no service internals (settings come from --print-config).',
      severity: 'error',
      from: { path: '^(infra|bench|fuzz)/' },
      to: { path: SERVICES },
    },
    {
      name: 'no-circular',
      comment: 'A cycle makes module start order matter (a value read before its module ran is undefined) and hides layering.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'imports-resolve',
      comment: 'An import the resolver cannot follow would be invisible to every rule above, so it is an error of its own.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['node_modules', '^bench/peers/', '^bench/results/', '^\\.stack/'] },
    // Type-only imports couple modules as much as value imports do (a type from workers/ in query/ breaks with it).
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      extensions: ['.ts', '.tsx', '.mts', '.js', '.mjs', '.cjs', '.json'],
      exportsFields: ['exports'],
      conditionNames: ['bun', 'import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    // Bun's own modules are built-ins here, as node: ones are.
    builtInModules: { add: ['bun', 'bun:ffi', 'bun:test', 'bun:sqlite', 'bun:jsc'] },
  },
};
