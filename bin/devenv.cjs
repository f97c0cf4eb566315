#!/usr/bin/env node
// Entry point. CommonJS, and `--version`/`--help` answered from plain files (package.json and
// dist/help.txt, which the build renders from the commander program), because both run on every
// login shell or first try and should cost no more than Node itself. Everything else: dist/cli.js.
'use strict';
const { readFileSync } = require('node:fs');
const path = require('node:path');

const args = process.argv.slice(2);
const only = args.length === 1 ? args[0] : null;
if (only === '--version' || only === '-V') {
  process.stdout.write(`${require('../package.json').version}\n`);
} else if ((only === '--help' || only === '-h') && !process.env.DEVENV_RENDER_HELP) {
  process.stdout.write(readFileSync(path.join(__dirname, '..', 'dist', 'help.txt')));
} else {
  // Library deprecation notices (docker-modem's ssh URL handling) are not the user's to act on.
  if (process.env.DEVENV_DEBUG !== '1') process.noDeprecation = true;
  import('../dist/cli.js').then(async ({ main }) => {
    process.exitCode = await main(args);
  });
}
