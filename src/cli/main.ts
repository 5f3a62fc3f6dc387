import type { Interrupts, IO } from '../context.js';
import { EXIT } from '../shared/errors.js';
import { run } from './run.js';

function processIO(): IO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    stdinIsTTY: Boolean(process.stdin.isTTY),
    columns: process.stdout.isTTY ? process.stdout.columns : undefined,
  };
}

/** The binary's entry point: the one place that exits the process. */
export async function main(): Promise<void> {
  let claimed: ((signal: string) => void) | undefined;
  const onSignal = (signal: string) => {
    // A server that claimed the signal shuts down cleanly; otherwise (or at a second Ctrl-C) stop now.
    const resume = claimed;
    claimed = undefined;
    if (resume) resume(signal);
    else process.exit(EXIT.interrupted);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const interrupts: Interrupts = { claim: () => new Promise((resolve) => (claimed = resolve)) };
  // `protime-hooks status | head -1` closes the pipe early; that is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => process.exit(error.code === 'EPIPE' ? EXIT.ok : EXIT.failure));
  const code = await run(process.argv.slice(2), { io: processIO(), env: process.env, overrides: { interrupts } });
  // Let piped stdout drain before exiting; idle keep-alive sockets would otherwise hold the process.
  process.stdout.write('', () => process.exit(code));
}
