#!/usr/bin/env node
// Entry point. CommonJS, and `--version`/`--help` answered from plain files (package.json and
// dist/help.txt, which the build renders from the commander program), because both run on every
// login shell or first try and should cost no more than Node itself. Everything else runs
// dist/cli.cjs, compiled with V8's code cache (Node 20 has no module compile cache of its own).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const args = process.argv.slice(2);
/** The everyday commands, whose code caches are kept apart (see loadCli). */
const CACHED_APART = new Set(['exec', 'shell', 'start', 'status']);
const only = args.length === 1 ? args[0] : null;
if (only === '--version' || only === '-V') {
  process.stdout.write(`${require('../package.json').version}\n`);
} else if ((only === '--help' || only === '-h') && !process.env.DEVENV_RENDER_HELP) {
  process.stdout.write(fs.readFileSync(path.join(__dirname, '..', 'dist', 'help.txt')));
} else {
  // Library deprecation notices (docker-modem's ssh URL handling) are not the user's to act on.
  if (process.env.DEVENV_DEBUG !== '1') process.noDeprecation = true;
  const { main, saveCache, build } = loadCli(path.join(__dirname, '..', 'dist', 'cli.cjs'));
  main(args, process, build).then((code) => {
    process.exitCode = code;
    saveCache();
  });
}

/**
 * Loads the bundle like require() would, but through vm.Script with cached data kept per user
 * and per build: a missing, stale or rejected cache only means a normal compile, and the cache
 * is written again after the run (so it also holds the functions that run compiled).
 */
function loadCli(file) {
  const vm = require('node:vm');
  const Module = require('node:module');
  // The bundle is ASCII (esbuild escapes the rest) and already wrapped in its module function
  // (src/build/bundle.mjs): read as one-byte text and compiled as it is, no copy of 1 MB is made.
  const source = fs.readFileSync(file, 'latin1');
  const stat = fs.statSync(file);
  const cacheHome = process.env.XDG_CACHE_HOME || (process.env.HOME && path.join(process.env.HOME, '.cache'));
  const key = `${process.version}-${process.arch}-${stat.size}-${Math.round(stat.mtimeMs)}`;
  const cacheDir = cacheHome ? path.join(cacheHome, 'devenv') : null;
  // V8 caches the functions a run compiled, and exec, start and status run different code: each
  // keeps a cache of its own, the other commands share one.
  const verb = CACHED_APART.has(args[0]) ? args[0] : 'cli';
  const cacheFile = cacheDir ? path.join(cacheDir, `cli-${key}-${verb}.v8`) : null;
  let cachedData;
  try {
    cachedData = cacheFile ? fs.readFileSync(cacheFile) : undefined;
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(source, { filename: file, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, Module.createRequire(file), module, file, path.dirname(file));
  return {
    main: module.exports.main,
    // What the CLI's own caches (the checked configs) are kept for: this build, in this folder.
    build: cacheDir ? { key, cacheDir } : undefined,
    saveCache() {
      if (!cacheFile || (cachedData && !script.cachedDataRejected)) return;
      try {
        fs.mkdirSync(path.dirname(cacheFile), { recursive: true, mode: 0o700 });
        // Caches of earlier builds or Node versions will never match again.
        for (const old of fs.readdirSync(path.dirname(cacheFile))) {
          if (old.startsWith('cli-') && old.endsWith('.v8') && !old.startsWith(`cli-${key}-`))
            fs.rmSync(path.join(path.dirname(cacheFile), old), { force: true });
        }
        const staging = `${cacheFile}.${process.pid}`;
        fs.writeFileSync(staging, script.createCachedData());
        fs.renameSync(staging, cacheFile);
      } catch {
        // A read-only or full home only costs speed.
      }
    },
  };
}
