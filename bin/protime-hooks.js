#!/bin/sh
':' //; exec node -- "$0" "$@"
// Node 20 reads `--env-file` anywhere in argv, even after the script (it exits 9 on a missing file
// and hangs on /dev/zero); behind `--` it is left to us. The line above runs this file again as
// `node -- <file> <args>` in sh, and is a no-op string and a comment to JavaScript.
// CommonJS (bin/package.json): an ES module entry alone costs about a third of Node's start-up.
'use strict';

// `--version` and `--help` alone are answered from texts made at build time (dist/fast.cjs),
// without loading the CLI: start-up then costs little more than Node's own.
// `status --offline`, piped, from the index of the state the CLI keeps beside it (dist/fast-status.cjs).
const args = process.argv.slice(2);
const answer = args.length === 1 ? fastAnswer(args[0]) : undefined;
const status = answer === undefined && args[0] === 'status' ? fastStatus() : undefined;
// Straight to the descriptors: making process.stdout costs more than the whole write. A pipe
// closed early (`protime-hooks --help | head -1`) is not an error.
if (answer !== undefined) {
  put(1, answer);
} else if (status !== undefined) {
  if (put(1, status.stdout)) {
    put(2, status.stderr);
    process.exitCode = status.code;
  }
} else {
  start();
}

function fastAnswer(arg) {
  try {
    const columns = () => (isTerminal(1) ? process.stdout.columns : undefined);
    return require('../dist/fast.cjs').answer(arg, columns);
  } catch {
    return undefined; // not built: the CLI says so below
  }
}

function fastStatus() {
  try {
    const terminal = { stdoutIsTTY: isTerminal(1), stderrIsTTY: isTerminal(2) };
    return require('../dist/fast-status.cjs').answer(args, process.env, process.cwd(), terminal);
  } catch {
    return undefined; // not built, or anything unforeseen: the CLI answers, and says what is wrong
  }
}

/**
 * process.stdout.isTTY without making process.stdout (which costs more than the whole answer), and
 * without loading node:tty (2 ms) for what cannot be a terminal: a pipe or file, or on Linux a
 * memory device (major 1: /dev/null, /dev/zero).
 */
function isTerminal(fd) {
  let stat;
  try {
    stat = require('node:fs').fstatSync(fd);
  } catch {
    return false; // closed
  }
  if (!stat.isCharacterDevice()) return false;
  if (process.platform === 'linux' && ((stat.rdev >> 8) & 0xfff) === 1) return false;
  return require('node:tty').isatty(fd);
}

/** Writes all of `text`; false when the reader has gone (EPIPE). A non-blocking pipe gets the rest through Node's stream. */
function put(fd, text) {
  const { writeSync } = require('node:fs');
  const bytes = Buffer.from(text);
  let done = 0;
  try {
    while (done < bytes.length) done += writeSync(fd, bytes, done);
  } catch (error) {
    if (error.code === 'EPIPE') return false;
    if (error.code !== 'EAGAIN') throw error;
    const stream = fd === 1 ? process.stdout : process.stderr;
    stream.on('error', (e) => process.exit(e.code === 'EPIPE' ? 0 : 1));
    stream.write(bytes.subarray(done));
  }
  return true;
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
