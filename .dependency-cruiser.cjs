/**
 * The dependency rule of src/ (make deps-rule, part of make check). Top-level areas and who may import whom:
 *
 *   core      → nothing (pure: no file system, processes, network or OS access)
 *   system    → core (the one process runner: the only importer of child_process)
 *   artifacts → core, system
 *   appliance → core, artifacts, system
 *   client    → core, system
 *   build     → core, artifacts, appliance, system
 *   cli       → anything
 *
 * No import cycle between any two folders, at any depth; nothing in src/ imports test/ or tools/.
 */
const AREAS = ['core', 'system', 'artifacts', 'appliance', 'client', 'build', 'cli'];
const ALLOWED = {
  core: [],
  system: ['core'],
  artifacts: ['core', 'system'],
  appliance: ['core', 'artifacts', 'system'],
  client: ['core', 'system'],
  build: ['core', 'artifacts', 'appliance', 'system'],
  cli: AREAS,
};

const directionRules = AREAS.filter((area) => area !== 'cli').map((area) => {
  const forbidden = AREAS.filter((other) => other !== area && !ALLOWED[area].includes(other));
  return {
    name: `${area}-imports-only-${ALLOWED[area].join('-') || 'itself'}`,
    comment: `src/${area}/ may import only ${ALLOWED[area].map((a) => `src/${a}/`).join(', ') || 'itself'}`,
    severity: 'error',
    from: { path: `^src/${area}/` },
    to: { path: `^src/(${forbidden.join('|')})/` },
  };
});

module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycles',
      comment: 'two folders must not import each other, directly or through others (at any depth)',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...directionRules,
    {
      name: 'core-is-pure',
      comment: 'src/core/ computes; it does not touch files, processes, the network or the OS',
      severity: 'error',
      from: { path: '^src/core/' },
      to: {
        dependencyTypes: ['core'],
        path: [
          '^(node:)?(fs|child_process|net|http|http2|https|tls|dns|os|dgram|cluster|worker_threads|process)$',
          '^(node:)?fs/',
        ],
      },
    },
    {
      name: 'processes-only-in-system',
      comment: 'other programs are run through src/system/process.ts only',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/system/process\\.ts$' },
      to: { dependencyTypes: ['core'], path: '^(node:)?child_process$' },
    },
    {
      name: 'src-not-test-or-tools',
      comment: 'the product does not import tests, test support or tools (the LocalAI stand-in)',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|tools)/' },
    },
    {
      name: 'src-areas-only',
      comment: 'src/ holds only the seven areas and nothing loose at its root',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/(?!(core|system|artifacts|appliance|client|build|cli)/)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    metrics: true,
    exclude: { path: '^(node_modules|dist|runtime)/' },
  },
};
