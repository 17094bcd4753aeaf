/**
 * Layer rules (see docs/architecture.md):
 *   shared/  <-  worker/, coordinator/ (peers)  <-  simulation/, bench/  <-  cli/  <-  bin/
 * A backwards import or any cycle between files fails CI (`npm run deps`). The script passes the .ts files
 * by glob: without a TypeScript compiler older than 7, dependency-cruiser's folder scan skips .ts files.
 */

// Inside coordinator/, folders are layered too (lowest first); a folder imports only those below it.
// strategies: pure aggregation; store: files; privacy: the DP clip, noise and budget ledger; experiments: Redis records; sessions: worker streams;
// metrics: counters; queues: job data and enqueueing; rounds: the round steps; http: status page;
// provision: certificates and tokens for a federation.
const COORDINATOR_LAYERS = [
  'strategies',
  'store|privacy',
  'experiments',
  'sessions|metrics',
  'queues',
  'rounds',
  'http|provision',
];
const coordinatorLayerRules = COORDINATOR_LAYERS.map((layer, i) => ({
  name: `coordinator-${layer.replaceAll('|', '-')}-layer`,
  severity: 'error',
  comment: `coordinator/${layer} may import only the coordinator folders below it: ${COORDINATOR_LAYERS.slice(0, i).join(', ') || 'none'}.`,
  from: { path: `^coordinator/(${layer})/` },
  to: { path: `^coordinator/(${COORDINATOR_LAYERS.slice(i + 1).join('|') || '$^'}|[^/]+\\.ts$)` },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...coordinatorLayerRules,
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Files must not import each other in a cycle.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'shared-is-the-bottom-layer',
      severity: 'error',
      comment: 'shared/ is used by both sides and must not reach up into them.',
      from: { path: '^shared/' },
      to: { path: '^(coordinator|worker|simulation|bench|cli|bin)/' },
    },
    {
      name: 'coordinator-and-worker-are-peers',
      severity: 'error',
      comment: 'Neither side imports the other; code both need lives in shared/.',
      from: { path: '^coordinator/' },
      to: { path: '^(worker|simulation|bench|cli|bin)/' },
    },
    {
      name: 'worker-and-coordinator-are-peers',
      severity: 'error',
      from: { path: '^worker/' },
      to: { path: '^(coordinator|simulation|bench|cli|bin)/' },
    },
    {
      name: 'simulation-and-bench-below-cli',
      severity: 'error',
      from: { path: '^(simulation|bench)/' },
      to: { path: '^(cli|bin)/' },
    },
    {
      name: 'wire-types-through-shared-protocol',
      severity: 'error',
      comment: 'Generated wire types are reached through shared/protocol (load.ts, task-spec.ts), never directly.',
      from: { pathNot: '^shared/protocol/' },
      to: { path: '^shared/protocol/generated/' },
    },
    {
      name: 'cli-below-bin',
      severity: 'error',
      from: { path: '^cli/' },
      to: { path: '^bin/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|test)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.mjs', '.js'] },
  },
};
