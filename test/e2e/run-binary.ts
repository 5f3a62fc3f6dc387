import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/protime-hooks.js', import.meta.url));

export interface BinaryRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  json<T = any>(): T;
}

/**
 * Runs the built binary (not the sources) as a child process with a clean environment: only what
 * the test passes, plus PATH and HOME. vitest's NODE_ENV/TEST variables are deliberately not inherited.
 */
export function runBinary(
  args: string[],
  options: { env?: Record<string, string>; stdin?: string; timeoutMs?: number; cwd?: string; direct?: boolean } = {},
): Promise<BinaryRun> {
  return new Promise((resolve, reject) => {
    // `direct` runs the file itself, as an installed binary runs: through its #! line.
    const [command, argv] = options.direct ? [BIN, args] : [process.execPath, [BIN, ...args]];
    const child = spawn(command, argv, {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', HOME: options.env?.HOME ?? '/nonexistent', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, json: () => JSON.parse(stdout) });
    });
    child.stdin.end(options.stdin ?? '');
  });
}
