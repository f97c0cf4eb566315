// Builds dist/: the CLI bundled into one ESM entry plus a chunk per lazily imported command.
// Bundling saves Node's module resolution on every run, and lets two heavy imports that devenv
// rarely needs be deferred: dockerode loads gRPC (BuildKit sessions, unused: devenv uses the
// classic builder) and docker-modem loads ssh2 (only for ssh:// engines) at import time.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const deferRequire = (file, statement, name) => ({
  filter: new RegExp(`${file.replace(/[/.]/g, (c) => (c === '/' ? '[\\\\/]' : '\\.'))}$`),
  rewrite: (source) => {
    if (!source.includes(statement))
      throw new Error(`bundle: ${file} no longer contains ${statement}; update src/build/bundle.mjs`);
    return source.replace(
      statement,
      `${name} = function () { return require('./${name === 'withSession' ? 'session' : 'ssh'}').apply(this, arguments); },`,
    );
  },
});

const deferred = [
  deferRequire('dockerode/lib/docker.js', "withSession = require('./session'),", 'withSession'),
  deferRequire('docker-modem/lib/modem.js', "ssh = require('./ssh'),", 'ssh'),
];

const lazyHeavyRequires = {
  name: 'lazy-heavy-requires',
  setup(esbuild) {
    for (const { filter, rewrite } of deferred) {
      esbuild.onLoad({ filter }, (args) => ({
        contents: rewrite(readFileSync(args.path, 'utf8')),
        loader: 'js',
      }));
    }
  },
};

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: ['src/cli.ts'],
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: 'dist',
  chunkNames: 'chunks/[name]-[hash]',
  plugins: [lazyHeavyRequires],
  // Loaded with require() at run time from node_modules, only when an ssh:// engine is used.
  external: ['ssh2', 'cpu-features', '@grpc/grpc-js', '@grpc/proto-loader'],
  // CommonJS dependencies inside an ESM bundle still call require().
  banner: {
    js: "import { createRequire as __devenvRequire } from 'node:module'; const require = __devenvRequire(import.meta.url);",
  },
  logLevel: 'warning',
});

// `devenv --help` is served from this file by bin/devenv.cjs: rendered by the program itself,
// at the width commander uses without a terminal, so it cannot drift from the commands.
const help = execFileSync(process.execPath, ['bin/devenv.cjs', '--help'], {
  env: { ...process.env, DEVENV_RENDER_HELP: '1', COLUMNS: '80' },
  encoding: 'utf8',
});
writeFileSync('dist/help.txt', help);
