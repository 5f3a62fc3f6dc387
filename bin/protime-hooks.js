#!/bin/sh
':' //; exec node -- "$0" "$@"
// Node 20 reads `--env-file` anywhere in argv, even after the script (it exits 9 on a missing file
// and hangs on /dev/zero); behind `--` it is left to us. The line above runs this file again as
// `node -- <file> <args>` in sh, and is a no-op string and a comment to JavaScript.
// `--version` and `--help` alone are answered from texts made at build time (dist/fast.mjs),
// without loading the CLI: start-up then costs little more than Node's own.
const args = process.argv.slice(2);
const fast = args.length === 1 ? await import('../dist/fast.mjs').catch(() => undefined) : undefined;
const answer = fast?.answer(args[0], process.stdout.isTTY ? process.stdout.columns : undefined);
if (answer === undefined) {
  await start();
} else {
  // `protime-hooks --help | head -1` closes the pipe early; that is not an error.
  process.stdout.on('error', (error) => process.exit(error.code === 'EPIPE' ? 0 : 1));
  process.stdout.write(answer);
}

async function start() {
  let cli;
  try {
    cli = await import('../dist/cli.mjs');
  } catch (error) {
    // A clone that was never built has no dist/: say so in one line instead of Node's stack trace.
    const entry = new URL('../dist/cli.mjs', import.meta.url);
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || (await import('node:fs')).existsSync(entry)) throw error;
    const root = decodeURIComponent(new URL('..', import.meta.url).pathname).replace(/\/$/, '');
    const message = `This copy of protime-hooks is not built: ${root}/dist/cli.mjs is missing.`;
    const hint = `Run \`npm install && npm run build\` in ${root}.`;
    // Under --json a script still gets its one document (the contract's error shape).
    if (process.argv.includes('--json')) {
      process.stdout.write(`${JSON.stringify({ error: { code: 'not-built', message, hint, status: null } })}\n`);
    } else {
      process.stderr.write(`protime-hooks: ${message} ${hint}\n`);
    }
    process.exit(1);
  }
  await cli.main();
}
