// Builds dist/cli.cjs, the whole CLI as one CommonJS file, and dist/everyday.cjs, the same for the
// everyday commands alone (src/everyday.ts: no commander, no other command). One file means no
// module resolution and no ES module graph to link on every run (commands and heavy libraries are
// still evaluated only when used: esbuild wraps each module in a lazy initialiser), and
// bin/devenv.cjs keeps V8's compiled code for it in a cache, which removes most of the parse and
// compile cost; measured in bench/. Bundling also lets the heavy parts of dockerode
// that devenv rarely needs stay out of the bundle, loaded from node_modules on first use:
// BuildKit sessions and BuildKit's protobuf decoding (gRPC, protobufjs: devenv uses the classic
// builder) and docker-modem's ssh transport (ssh2: only for ssh:// engines).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { runInThisContext } from 'node:vm';
import { build } from 'esbuild';

/** The engine objects devenv never makes (volumes, networks, swarm): required on first `new`. */
const UNUSED_DOCKERODE_CLASSES = [
  'volume',
  'network',
  'service',
  'plugin',
  'secret',
  'config',
  'task',
  'node',
];

function lazyDockerodeClass(name) {
  const className = name[0].toUpperCase() + name.slice(1);
  return {
    file: /dockerode[\\/]lib[\\/]docker\.js$/,
    from: `${className} = require('./${name}'),`,
    to: `${className} = function () { var C = require('dockerode/lib/${name}.js'); return new (Function.prototype.bind.apply(C, [null].concat(Array.prototype.slice.call(arguments))))(); },`,
  };
}

/**
 * Source rewrites: each turns an import-time require into one made on first use, or skips work
 * done on every request for a debug log nobody reads. Every command pays for what its libraries
 * load at require time; these load only when used (measured in bench/, see git log).
 */
const rewrites = [
  {
    file: /dockerode[\\/]lib[\\/]docker\.js$/,
    from: "withSession = require('./session'),",
    to: "withSession = function () { return require('dockerode/lib/session.js').apply(this, arguments); },",
  },
  {
    file: /dockerode[\\/]lib[\\/]docker\.js$/,
    from: "var buildkit = require('./buildkit');",
    to: "var buildkit = require('dockerode/lib/buildkit.js');",
  },
  ...UNUSED_DOCKERODE_CLASSES.map(lazyDockerodeClass),
  {
    file: /docker-modem[\\/]lib[\\/]modem\.js$/,
    from: "ssh = require('./ssh'),",
    to: "ssh = function () { return require('docker-modem/lib/ssh.js').apply(this, arguments); },",
  },
  // node:os, which nothing else loads on a command's usual path, for a question process answers.
  {
    file: /docker-modem[\\/]lib[\\/]modem\.js$/,
    from: "os = require('os'),\n  isWin = os.type() === 'Windows_NT',",
    to: "os = { homedir: function () { return require('os').homedir(); } },\n  isWin = process.platform === 'win32',",
  },
  // The duplex of an attach with stdin open (readable-stream): not for exec's hijacked socket.
  {
    file: /docker-modem[\\/]lib[\\/]modem\.js$/,
    from: "HttpDuplex = require('./http_duplex'),",
    to: "HttpDuplex = function (req, res) { var Duplex = require('docker-modem/lib/http_duplex.js'); return new Duplex(req, res); },",
  },
  // `debug` (and the tty and supports-color it loads) only when DEBUG asks for some output.
  {
    file: /docker-modem[\\/]lib[\\/]modem\.js$/,
    from: "debug = require('debug')('modem'),",
    to: "debug = process.env.DEBUG ? require('debug')('modem') : Object.assign(function () {}, { enabled: false }),",
  },
  // Every request formatted its whole options object for that log, even with the log off.
  {
    file: /docker-modem[\\/]lib[\\/]modem\.js$/,
    from: "debug('Sending: %s', util.inspect(options, {",
    to: "debug.enabled && debug('Sending: %s', util.inspect(options, {",
  },
  // Node's HTTP agent works out a TLS server name for every request, a unix socket's too, and
  // its first one compiles net.isIPv6's regular expression: ~4 ms (19M instructions) of every
  // command. A unix socket has no server name. (The bench's floors skip it the same way.)
  {
    file: /docker-modem[\\/]lib[\\/]modem\.js$/,
    from: 'optionsf.socketPath = socketPath;',
    to: "optionsf.socketPath = socketPath; optionsf.servername = '';",
  },
  // https (and tls, crypto) only for an https:// engine.
  {
    file: /docker-modem[\\/]lib[\\/]http\.js$/,
    from: "var nativeHttps = require('https'),",
    to: "var nativeHttps = { request: function () { var https = require('https'); return https.request.apply(https, arguments); } },",
  },
  // The build context's tar, gzip and .dockerignore: devenv sends its own tar (src/docker/context-tar.ts).
  {
    file: /dockerode[\\/]lib[\\/]util\.js$/,
    from: "var DockerIgnore = require('@balena/dockerignore');",
    to: "var DockerIgnore = function () { return require('@balena/dockerignore').apply(this, arguments); };",
  },
  {
    file: /dockerode[\\/]lib[\\/]util\.js$/,
    from: "var tar = require('tar-fs');",
    to: "var tar = { pack: function () { var tarFs = require('tar-fs'); return tarFs.pack.apply(tarFs, arguments); } };",
  },
  {
    file: /dockerode[\\/]lib[\\/]util\.js$/,
    from: "var zlib = require('zlib');",
    to: "var zlib = { createGzip: function () { return require('zlib').createGzip.apply(null, arguments); } };",
  },
  // commander spawns only for executable subcommands, which devenv has none of.
  {
    file: /commander[\\/]lib[\\/]command\.js$/,
    from: "const childProcess = require('node:child_process');",
    to: "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };",
  },
];

const deferHeavyRequires = {
  name: 'defer-heavy-requires',
  setup(esbuild) {
    // One handler per file: esbuild uses only the first onLoad that answers for a path.
    for (const pattern of new Set(rewrites.map((r) => r.file.source))) {
      esbuild.onLoad({ filter: new RegExp(pattern) }, (args) => {
        let source = readFileSync(args.path, 'utf8');
        for (const rewrite of rewrites.filter((r) => r.file.source === pattern)) {
          if (!source.includes(rewrite.from)) {
            throw new Error(
              `bundle: ${args.path} no longer contains "${rewrite.from}"; update src/build/bundle.mjs`,
            );
          }
          source = source.replace(rewrite.from, rewrite.to);
        }
        return { contents: source, loader: 'js' };
      });
    }
  },
};

/**
 * Node built-ins that devenv's sources use only on some paths (spawning a program, hashing, async
 * file reads, questions) but that cost a few ms each to load (crypto, fs/promises, child_process
 * with dgram; os, which Node itself never loads): in the bundle, a source's import of one becomes a
 * module of wrappers that require the built-in on their first call, and of objects (os.constants)
 * that forward to the built-in's on their first read. Importing anything else (a string such as
 * os.EOL) from these fails the build, rather than quietly loading early.
 */
const LAZY_BUILTINS = /^node:(child_process|crypto|fs\/promises|os|readline\/promises)$/;

function lazyBuiltinModule(id) {
  const builtin = createRequire(import.meta.url)(id);
  const lines = [
    `const { promisify } = require('node:util');`,
    `let builtin;`,
    `const load = () => (builtin ??= require(${JSON.stringify(id)}));`,
    'const forward = (target) => new Proxy({}, {',
    '  get: (_, key) => target()[key],',
    '  has: (_, key) => key in target(),',
    '  ownKeys: () => Reflect.ownKeys(target()),',
    '  getOwnPropertyDescriptor: (_, key) => ({ ...Reflect.getOwnPropertyDescriptor(target(), key), configurable: true }),',
    '});',
    // `import os from 'node:os'`: the module itself, loaded on the first read of any of its names.
    'export default forward(load);',
  ];
  for (const [name, value] of Object.entries(builtin)) {
    if (!/^[A-Za-z_$][\w$]*$/.test(name)) continue;
    if (value !== null && typeof value === 'object') {
      lines.push(`export const ${name} = forward(() => load().${name});`);
      continue;
    }
    if (typeof value !== 'function') continue;
    lines.push(
      `export function ${name}() {`,
      `  const m = load();`,
      `  return new.target ? Reflect.construct(m.${name}, arguments) : m.${name}.apply(m, arguments);`,
      `}`,
    );
    // promisify(execFile) resolves to { stdout, stderr } through the built-in's own variant.
    if (value[promisify.custom])
      lines.push(
        `Object.defineProperty(${name}, promisify.custom, { get: () => load().${name}[promisify.custom] });`,
      );
  }
  return lines.join('\n');
}

const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(esbuild) {
    const sources = `${path.resolve('src')}${path.sep}`;
    esbuild.onResolve({ filter: LAZY_BUILTINS }, (args) =>
      args.importer.startsWith(sources) ? { path: args.path, namespace: 'lazy-builtin' } : undefined,
    );
    esbuild.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({
      contents: lazyBuiltinModule(args.path),
      loader: 'js',
    }));
  },
};

/**
 * node:path as an ES module of the bundle: esbuild gives a default import of a module it
 * sees as CommonJS a fresh copy of all its properties (__toESM), in every module that imports it
 * (some 25 on a start, 450 getters); importing from one module it bundles costs nothing. Its
 * exports are functions and constants, so binding them once is the same.
 */
const BUILTINS_AS_MODULES = /^node:path$/;

function builtinModule(id) {
  const builtin = createRequire(import.meta.url)(id);
  const names = Object.keys(builtin).filter((name) => /^[A-Za-z_$][\w$]*$/.test(name) && name !== 'default');
  return [
    `const builtin = require(${JSON.stringify(id)});`,
    'export default builtin;',
    `export const { ${names.join(', ')} } = builtin;`,
  ].join('\n');
}

const builtinsAsModules = {
  name: 'builtins-as-modules',
  setup(esbuild) {
    const sources = `${path.resolve('src')}${path.sep}`;
    esbuild.onResolve({ filter: BUILTINS_AS_MODULES }, (args) =>
      args.importer.startsWith(sources) ? { path: args.path, namespace: 'builtin-module' } : undefined,
    );
    esbuild.onLoad({ filter: /.*/, namespace: 'builtin-module' }, (args) => ({
      contents: builtinModule(args.path),
      loader: 'js',
    }));
  },
};

/**
 * ora's spinners: cli-spinners is some 80 animations in 49 KB of JSON, and ora uses two of them
 * (dots, and line where the terminal has no Unicode) when given no spinner, as devenv does.
 */
const ORA_SPINNERS = ['dots', 'line'];
const oraSpinners = {
  name: 'ora-spinners',
  setup(esbuild) {
    esbuild.onResolve({ filter: /^cli-spinners$/ }, () => ({
      path: 'cli-spinners',
      namespace: 'ora-spinners',
    }));
    esbuild.onLoad({ filter: /.*/, namespace: 'ora-spinners' }, async () => {
      const { default: all } = await import('cli-spinners');
      return {
        contents: `export default ${JSON.stringify(Object.fromEntries(ORA_SPINNERS.map((n) => [n, all[n]])))};`,
        loader: 'js',
      };
    });
  },
};

/** What both bundles leave in node_modules, required from there on first use. */
const external = [
  'dockerode/lib/session.js',
  'dockerode/lib/buildkit.js',
  'docker-modem/lib/ssh.js',
  ...UNUSED_DOCKERODE_CLASSES.map((name) => `dockerode/lib/${name}.js`),
  // What dockerode and docker-modem require on paths devenv never takes (a build context made
  // from a folder, an attach with stdin open, DEBUG's log): ~170 KB every command would read.
  'docker-modem/lib/http_duplex.js',
  'tar-fs',
  '@balena/dockerignore',
  'debug',
  // Large CommonJS packages used on rare paths (a GPU with no driver; a clone; a build's
  // context): required from node_modules when used, rather than read and compiled with every
  // command.
  'systeminformation',
  'simple-git',
  'tar-stream',
];

const common = {
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // import() of the packages left outside becomes require(): the bundle runs through vm.Script
  // (see bin/devenv.cjs), where a real dynamic import has no loader to call.
  supported: { 'dynamic-import': false },
  plugins: [deferHeavyRequires, lazyBuiltins, builtinsAsModules, oraSpinners],
  // The sources are ES modules that locate their package folder from import.meta.url, which is
  // worked out on first read (node:url's pathToFileURL costs every command a little).
  define: { 'import.meta.url': '__devenvModule.url', 'import.meta.dirname': '__dirname' },
  banner: {
    js: "(function (exports, require, module, __filename, __dirname) { const __devenvModule = { get url() { return require('node:url').pathToFileURL(__filename).href; } };",
  },
  // The module function bin/devenv.cjs calls: the file is compiled as it is read, not copied into
  // Node's wrapper first.
  footer: { js: '})' },
  // Minified: half the text to read and a smaller code cache on every run (measured in bench/:
  // ~0.8 ms of a 40 ms start). Nothing in devenv or its bundled packages depends on a function's
  // name. A stack trace (DEVENV_DEBUG=1) maps back to the sources through dist/*.cjs.map.
  minify: true,
  sourcemap: 'external',
  logLevel: 'warning',
};

/**
 * The packages whose code the rewrites above and ora-spinners change, at the versions they were
 * written and checked against; `from` is where the bundle's copy is resolved from (a source file,
 * or the package that depends on it). A rewrite can go wrong without its text going missing: the
 * rest of a file may start to use what a rewrite stubs (docker-modem's `os` is reduced to
 * `homedir`), or ora may pick a spinner the bundle left out. So another version fails the build
 * until its rewrites are checked against it and the version here changed. package.json pins the
 * same versions (docker-modem and cli-spinners, which come through dockerode and ora, in its
 * overrides).
 */
const WRITTEN_AGAINST = [
  { name: 'dockerode', version: '5.0.1', from: 'src/docker/engine.ts' },
  { name: 'docker-modem', version: '5.0.7', from: 'dockerode' },
  { name: 'commander', version: '14.0.3', from: 'src/cli.ts' },
  { name: 'ora', version: '9.4.1', from: 'src/ui/ui.ts' },
  { name: 'cli-spinners', version: '3.4.0', from: 'ora' },
];

/** The folder and version of the copy of `name` that a require from the file `from` gets. */
function installedPackage(name, from) {
  let dir = path.dirname(createRequire(from).resolve(name));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name: found, version } = JSON.parse(readFileSync(manifest, 'utf8'));
      if (found === name) return { dir, version };
    }
    if (dir === path.dirname(dir)) throw new Error(`bundle: no package.json of ${name} above ${from}`);
    dir = path.dirname(dir);
  }
}

function checkWrittenAgainst() {
  const dirs = new Map();
  const wrong = [];
  for (const { name, version, from } of WRITTEN_AGAINST) {
    const importer = dirs.has(from) ? path.join(dirs.get(from), 'package.json') : path.resolve(from);
    const installed = installedPackage(name, importer);
    dirs.set(name, installed.dir);
    if (installed.version !== version)
      wrong.push(
        `bundle: ${name} ${installed.version} is installed, but src/build/bundle.mjs patches ${name} ${version}: check its rewrites against ${installed.version}, then update WRITTEN_AGAINST and package.json`,
      );
  }
  return wrong;
}

const wrongVersions = checkWrittenAgainst();
if (wrongVersions.length > 0) {
  process.stderr.write(`${wrongVersions.join('\n')}\n`);
  process.exit(1);
}

rmSync('dist', { recursive: true, force: true });
await Promise.all([
  build({
    ...common,
    entryPoints: { cli: 'src/cli.ts' },
    // jsonc-parser's main build is UMD, whose inner require() calls esbuild cannot follow; its ES
    // module build bundles (and tree-shakes) like any other.
    alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
    external,
  }),
  // The everyday commands' own bundle (src/everyday.ts), which exec, shell, start and status load
  // instead (see bin/devenv.cjs): no commander, no other command's code to read, compile from the
  // cache and set up on every run. What they need only on a rare run is left out too: the schema's
  // zod (a .devenvrc changed since it was last checked) and jsonc-parser (a VS Code file that is
  // not plain JSON).
  build({
    ...common,
    entryPoints: { everyday: 'src/everyday.ts' },
    external: [...external, 'zod', 'zod/*', 'jsonc-parser'],
  }),
]);

// The verbs bin/devenv.cjs runs from dist/everyday.cjs, as src/everyday.ts declares them, for bin to
// read on each run (a small file costs it less than loading any module to ask).
const everydayBundle = path.resolve('dist/everyday.cjs');
const everyday = { exports: {} };
runInThisContext(readFileSync(everydayBundle, 'latin1'), { filename: everydayBundle })(
  everyday.exports,
  createRequire(everydayBundle),
  everyday,
  everydayBundle,
  path.dirname(everydayBundle),
);
const everydayVerbs = everyday.exports.EVERYDAY_VERBS;
if (!Array.isArray(everydayVerbs) || everydayVerbs.length === 0)
  throw new Error('bundle: dist/everyday.cjs exports no EVERYDAY_VERBS; update src/build/bundle.mjs');
writeFileSync('dist/everyday-verbs.json', `${JSON.stringify(everydayVerbs)}\n`);

// `devenv --help` is served from this file by bin/devenv.cjs: rendered by the program itself,
// at the width commander uses without a terminal, so it cannot drift from the commands.
const help = execFileSync(process.execPath, ['bin/devenv.cjs', '--help'], {
  env: { ...process.env, DEVENV_RENDER_HELP: '1', COLUMNS: '80' },
  encoding: 'utf8',
});
writeFileSync('dist/help.txt', help);
