#!/usr/bin/env node
// Entry point. CommonJS, and `--version`/`--help` answered from plain files (package.json and
// dist/help.txt, which the build renders from the commander program), because both run on every
// login shell or first try and should cost no more than Node itself. The everyday commands (exec,
// shell, start, status), in the forms their specs' own parser reads, run from dist/everyday.cjs,
// which has no commander and no other command's code; everything else runs dist/cli.cjs. Both
// are compiled with V8's code cache (Node 20 has no module compile cache of its own).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const args = process.argv.slice(2);
const only = args.length === 1 ? args[0] : null;
if (only === '--version' || only === '-V') {
  process.stdout.write(`${require('../package.json').version}\n`);
} else if ((only === '--help' || only === '-h') && !process.env.DEVENV_RENDER_HELP) {
  process.stdout.write(fs.readFileSync(path.join(__dirname, '..', 'dist', 'help.txt')));
} else {
  // Library deprecation notices (docker-modem's ssh URL handling) are not the user's to act on.
  if (process.env.DEVENV_DEBUG !== '1') process.noDeprecation = true;
  run().then(({ code, saveCache }) => {
    process.exitCode = code;
    saveCache(code);
  });
}

async function run() {
  const dist = path.join(__dirname, '..', 'dist');
  // One build writes both bundles: the whole CLI's size and time name it, for every cache.
  const stat = fs.statSync(path.join(dist, 'cli.cjs'));
  const key = `${process.version}-${process.arch}-${stat.size}-${Math.round(stat.mtimeMs)}`;
  // The everyday commands, as the build found them in src/everyday.ts: their own bundle, and a
  // code cache each (see loadBundle). A 34-byte file: cheaper to read than any module to ask.
  const everydayVerbs = JSON.parse(fs.readFileSync(path.join(dist, 'everyday-verbs.json'), 'utf8'));
  const verb = everydayVerbs.includes(args[0]) ? args[0] : null;
  if (verb !== null) {
    const everyday = loadBundle(path.join(dist, 'everyday.cjs'), key, verb);
    const code = await everyday.main(args, process, everyday.build);
    // Not a form it parses alone (nothing was done yet): the whole CLI runs it.
    if (code !== null) return { code, saveCache: everyday.saveCache };
  }
  const cli = loadBundle(path.join(dist, 'cli.cjs'), key, verb);
  return { code: await cli.main(args, process, cli.build), saveCache: cli.saveCache };
}

/**
 * Loads a bundle like require() would, but through vm.Script with cached data kept per user
 * and per build: a missing, stale or rejected cache only means a normal compile, and the cache
 * is written after the run, so that it holds the functions the run compiled.
 *
 * Which run writes it matters: a cache holds one run's code, and a run that took a rare path
 * (the config checked by the schema, an image built, an error) would leave every later
 * everyday run deserializing code it does not use, and compiling what it does (start on a
 * running env: ~5 ms). Such a run keeps its cache apart (.rare.v8). An everyday run that used
 * one removes it, so that the next run, compiling afresh, writes the everyday cache: a cache
 * written after running from another still holds all of the other's code.
 */
function loadBundle(file, key, everydayVerb) {
  const vm = require('node:vm');
  // The bundle is ASCII (esbuild escapes the rest) and already wrapped in its module function
  // (src/build/bundle.mjs): read as one-byte text and compiled as it is, no copy of 1 MB is made.
  const source = fs.readFileSync(file, 'latin1');
  const cacheHome = process.env.XDG_CACHE_HOME || (process.env.HOME && path.join(process.env.HOME, '.cache'));
  const cacheDir = cacheHome ? path.join(cacheHome, 'devenv') : null;
  // exec, start and status run different code: each keeps a cache of its own, the others share one.
  const name = `${path.basename(file, '.cjs')}-${key}-${everydayVerb ?? 'cli'}`;
  const everydayCache = cacheDir && path.join(cacheDir, `${name}.v8`);
  const rareCache = cacheDir && path.join(cacheDir, `${name}.rare.v8`);
  let cachedData;
  let cachedFrom = null;
  for (const candidate of cacheDir ? [everydayCache, rareCache] : []) {
    try {
      cachedData = fs.readFileSync(candidate);
      cachedFrom = candidate;
      break;
    } catch {
      // not made yet
    }
  }
  const script = new vm.Script(source, { filename: file, cachedData });
  const module = { exports: {} };
  // This file's own require: the bundles' requires are built-ins and packages, which resolve from
  // bin/ as from dist/ (createRequire for dist/ would load node:module, ~0.5 ms).
  script.runInThisContext()(module.exports, require, module, file, path.dirname(file));
  let rarePath = false;
  return {
    main: module.exports.main,
    // What the CLI's own caches (the checked configs) are kept for: this build, in this folder.
    build: cacheDir
      ? {
          key,
          cacheDir,
          tookRarePath: () => {
            rarePath = true;
          },
        }
      : undefined,
    saveCache(code) {
      if (!cacheDir) return;
      const everyday = code === 0 && !rarePath;
      if (cachedFrom !== null && !script.cachedDataRejected) {
        if (everyday && cachedFrom === rareCache) fs.rmSync(rareCache, { force: true });
        return;
      }
      try {
        fs.mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
        // Caches of earlier builds or Node versions will never match again; a rejected one neither.
        for (const old of fs.readdirSync(cacheDir)) {
          if (old.endsWith('.v8') && !old.includes(`-${key}-`))
            fs.rmSync(path.join(cacheDir, old), { force: true });
        }
        if (cachedFrom !== null && script.cachedDataRejected) fs.rmSync(cachedFrom, { force: true });
        const target = everyday ? everydayCache : rareCache;
        const staging = `${target}.${process.pid}`;
        fs.writeFileSync(staging, script.createCachedData());
        fs.renameSync(staging, target);
        if (everyday) fs.rmSync(rareCache, { force: true });
      } catch {
        // A read-only or full home only costs speed.
      }
    },
  };
}
