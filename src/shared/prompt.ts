import { statSync } from 'node:fs';
import { readFileCapped } from './capped-read.js';
import { CliError, usageError } from './errors.js';

/** What asking needs of a command's Context: the terminal, and whether asking is allowed (--no-input). */
export interface Terminal {
  io: { stdin: NodeJS.ReadableStream; stderr: NodeJS.WritableStream; stdinIsTTY: boolean; stderrIsTTY: boolean };
  globals: { input: boolean };
}

/** Reads all of stdin (a pipe or a heredoc), up to the secret cap. */
export async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_SECRET_BYTES) throw tooLong('stdin');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A secret read from a file or stdin loses its final line break, nothing else. */
export function oneLine(text: string): string {
  return text.replace(/\r?\n$/, '');
}

/** No client secret is this long; a longer input is the wrong file (or /dev/zero), not a secret. */
export const MAX_SECRET_BYTES = 64 * 1024;

function tooLong(source: string) {
  return usageError(
    'secret-too-long',
    `The client secret from ${source} is longer than ${MAX_SECRET_BYTES / 1024} KiB: that is not a secret.`,
  );
}

export function readSecretFile(path: string, source: string, warn: (message: string) => void): string {
  let text: string;
  try {
    const bytes = readFileCapped(path, MAX_SECRET_BYTES);
    if (!bytes) throw tooLong(`${path} (${source})`);
    text = bytes.toString('utf8');
    // Like ssh with private keys: a secret others can read is worth a warning, not a refusal.
    if ((statSync(path).mode & 0o077) !== 0) warn(`${path} can be read by other users; chmod 600 it.`);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw usageError(
      'secret-file',
      `Cannot read the client secret from ${path} (${source}): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`,
    );
  }
  return oneLine(text);
}

/** A masked prompt on the terminal (stderr), or a usage error naming the flags when prompting is not possible. */
export async function promptSecret(ctx: Terminal, message: string, flags: string): Promise<string> {
  if (!ctx.globals.input || !ctx.io.stdinIsTTY || !ctx.io.stderrIsTTY) {
    throw usageError(
      'missing-secret',
      `No client secret given${ctx.globals.input ? ' and no terminal to ask on' : ' (--no-input)'}.`,
      `Pass ${flags}.`,
    );
  }
  const { default: password } = await import('@inquirer/password');
  try {
    return await password({ message, mask: '*' }, { input: ctx.io.stdin, output: ctx.io.stderr });
  } catch (error) {
    if ((error as Error).name === 'ExitPromptError') throw new CliError('interrupted', 'Interrupted.', { code: 'interrupted' });
    throw error;
  }
}

/** `unasked`: there was no terminal to ask on (or --no-input), so the caller needs --yes. */
export type Answer = 'yes' | 'no' | 'unasked';

/** Asks yes/no on the terminal (stderr). Ctrl-C is an interruption (exit 130); end of input is a no. */
export async function confirm(ctx: Terminal, message: string): Promise<Answer> {
  if (!ctx.globals.input || !ctx.io.stdinIsTTY || !ctx.io.stderrIsTTY) return 'unasked';
  // node:readline, not consola's prompt: that one writes to stdout, which carries data only.
  const { createInterface } = await import('node:readline/promises');
  // Terminal mode on a real terminal only: there Ctrl-C reaches readline as SIGINT, not as a signal.
  const terminal = Boolean((ctx.io.stdin as { isTTY?: boolean }).isTTY);
  const rl = createInterface({ input: ctx.io.stdin, output: ctx.io.stderr, terminal });
  try {
    const answer = await new Promise<string>((resolve, reject) => {
      rl.once('SIGINT', () => reject(new CliError('interrupted', 'Interrupted.', { code: 'interrupted' })));
      // End of input without an answer is a no; deferred, so an answer read just before the end wins.
      rl.once('close', () => setImmediate(() => resolve('')));
      rl.question(`${message} [y/N] `).then(resolve, reject);
    });
    return /^y(es)?$/i.test(answer.trim()) ? 'yes' : 'no';
  } finally {
    rl.close();
  }
}
