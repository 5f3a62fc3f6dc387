import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import type { Env } from '../context.js';
import { readFileCapped } from '../shared/capped-read.js';
import { usageError } from '../shared/errors.js';

/** An env file holds a few settings; a bigger one is the wrong file (or /dev/zero). */
const MAX_ENV_FILE_BYTES = 1024 * 1024;

/** --env-file, then ./.env; variables already set win, so the shell always overrides a file. */
export function loadEnvFiles(argv: string[], env: Env, cwd: string): void {
  const index = argv.findIndex((a) => a === '--env-file' || a.startsWith('--env-file='));
  const files: Array<{ path: string; required: boolean }> = [];
  if (index !== -1) {
    const arg = argv[index]!;
    const path = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[index + 1];
    if (!path) throw usageError('usage', '--env-file needs a path.');
    files.push({ path, required: true });
  }
  files.push({ path: join(cwd, '.env'), required: false });
  for (const { path, required } of files) {
    if (!required && !existsSync(path)) continue;
    let bytes: Buffer | undefined;
    try {
      bytes = readFileCapped(path, MAX_ENV_FILE_BYTES);
    } catch (error) {
      throw usageError('env-file', `Cannot read --env-file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`);
    }
    if (!bytes) throw usageError('env-file', `${path} is larger than ${MAX_ENV_FILE_BYTES / 1024 / 1024} MiB: that is not an env file.`);
    for (const [name, value] of Object.entries(parseEnv(bytes.toString('utf8')))) if (env[name] === undefined) env[name] = value;
  }
}
