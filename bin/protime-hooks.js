#!/bin/sh
':' //; exec node -- "$0" "$@"
// Node 20 reads `--env-file` anywhere in argv, even after the script (it exits 9 on a missing file
// and hangs on /dev/zero); behind `--` it is left to us. The line above runs this file again as
// `node -- <file> <args>` in sh, and is a no-op string and a comment to JavaScript.
// CommonJS (bin/package.json): an ES module entry alone costs about a third of Node's start-up.
'use strict';

// `--version` and `--help` alone are answered from texts made at build time (dist/fast.cjs),
// without loading the CLI: start-up then costs little more than Node's own.
const args = process.argv.slice(2);
const answer = args.length === 1 ? fastAnswer(args[0]) : undefined;
if (answer === undefined) {
  start();
} else {
  // `protime-hooks --help | head -1` closes the pipe early; that is not an error.
  process.stdout.on('error', (error) => process.exit(error.code === 'EPIPE' ? 0 : 1));
  process.stdout.write(answer);
}

function fastAnswer(arg) {
  try {
    return require('../dist/fast.cjs').answer(arg, process.stdout.isTTY ? process.stdout.columns : undefined);
  } catch {
    return undefined; // not built: the CLI says so below
  }
}

function start() {
  import('../dist/cli.mjs').then(
    (cli) => cli.main(),
    (error) => {
      // A clone that was never built has no dist/: say so in one line instead of Node's stack trace.
      const { existsSync } = require('node:fs');
      const { resolve } = require('node:path');
      const root = resolve(__dirname, '..');
      const entry = `${root}/dist/cli.mjs`;
      if (error?.code !== 'ERR_MODULE_NOT_FOUND' || existsSync(entry)) throw error;
      const message = `This copy of protime-hooks is not built: ${entry} is missing.`;
      const hint = `Run \`npm install && npm run build\` in ${root}.`;
      // Under --json a script still gets its one document (the contract's error shape).
      if (process.argv.includes('--json')) {
        process.stdout.write(`${JSON.stringify({ error: { code: 'not-built', message, hint, status: null } })}\n`);
      } else {
        process.stderr.write(`protime-hooks: ${message} ${hint}\n`);
      }
      process.exit(1);
    },
  );
}
