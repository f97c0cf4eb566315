// The layering of src/ as rules that fail the build (`npm run lint:layers`, part of `npm run lint`),
// checked by dependency-cruiser rather than by review. The layers, from the outside in: src/cli.ts
// and src/everyday.ts (entry points, through src/main.ts) -> src/commands (one verb a file) ->
// src/app (use cases) -> src/core (pure decisions); src/docker, src/host and src/ui are the edges,
// the only places that touch the engine, the machine and the terminal. See README.md, "How it is
// built". Every import counts: static, dynamic `import()` and `import type` alike, because a cycle
// or a wrong-way import hidden behind a lazy import is still one a reader has to untangle.

/** A package's own files or its @types, as a dependency resolves to them. */
const pkg = (...names) => `(^|/)node_modules/(@types/)?(${names.join('|')})/`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycle',
      comment:
        'A module must not reach itself through its imports, not even through import() or import type.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'core-imports-only-core',
      comment:
        'src/core decides with pure functions over plain inputs: it imports nothing of the layers above or the edges.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: '^src/', pathNot: '^src/core/' },
    },
    {
      name: 'core-does-no-io',
      comment:
        'src/core is pure: files, processes, sockets and the terminal are reached through the Host, Engine and Reporter ports.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: {
        dependencyTypes: ['core'],
        path: '^(child_process|cluster|dgram|dns|fs|fs/promises|http|https|http2|net|readline|readline/promises|tls|worker_threads)$',
      },
    },
    {
      name: 'command-imports-no-command',
      comment: 'One verb, one file: what two commands share belongs in src/app or src/core.',
      severity: 'error',
      from: { path: '^src/commands/' },
      to: { path: '^src/commands/' },
    },
    {
      name: 'app-imports-no-command',
      comment: 'Commands call src/app, never the other way round.',
      severity: 'error',
      from: { path: '^src/app/' },
      to: { path: '^src/commands/' },
    },
    {
      name: 'edge-imports-no-app-or-command',
      comment:
        'src/docker, src/host and src/ui are used by src/app and src/commands, never the other way round.',
      severity: 'error',
      from: { path: '^src/(docker|host|ui)/' },
      to: { path: '^src/(app|commands)/' },
    },
    {
      name: 'no-entry-point-imports',
      comment: 'src/cli.ts, src/everyday.ts and src/main.ts start a run; the layers never import them.',
      severity: 'error',
      from: { path: '^src/(app|commands|core|docker|host|ui)/' },
      to: { path: '^src/(cli|everyday|main)[.]ts$' },
    },
    {
      name: 'dockerode-only-in-docker',
      comment:
        'src/docker is the one implementation of the Engine port (src/core/engine.ts); others go through it.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/docker/' },
      to: { path: pkg('dockerode', 'docker-modem') },
    },
    {
      name: 'terminal-only-in-ui',
      comment:
        'Spinners and colours live in src/ui, which knows when stderr is not a terminal or NO_COLOR is set.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/ui/' },
      to: { path: pkg('ora', 'chalk') },
    },
    {
      name: 'machine-only-in-host',
      comment: 'simple-git and systeminformation ask this machine; src/host puts them behind the Host port.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/host/' },
      to: { path: pkg('simple-git', 'systeminformation') },
    },
    {
      name: 'imports-resolve',
      comment: 'An import dependency-cruiser cannot resolve is one no rule above can see.',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Packages are leaves: the rules are about which of our modules reach them, not their insides.
    doNotFollow: { path: 'node_modules' },
    // `import type` is erased by tsc, but it still ties the importer to the imported module.
    tsPreCompilationDeps: true,
    // Resolves the sources' ESM specifiers (`./context.js` is src/app/context.ts) as tsc does.
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
