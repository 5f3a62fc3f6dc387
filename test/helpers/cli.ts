import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach } from 'vitest';
import { run } from '../../src/cli/run.js';
import type { Env } from '../../src/context.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as the one JSON document it must be. */
  json<T = any>(): T;
  /** Delays the HTTP layer asked to wait, in ms. */
  sleeps: number[];
}

export interface RunOptions {
  env?: Env;
  stdin?: string;
  /** Pretend every stream is a terminal. */
  tty?: boolean;
  /** With tty: the terminal's width. */
  columns?: number;
  now?: Date;
  cwd?: string;
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temp folder, removed after the test. */
export function tempDir(prefix = 'ph-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** Streams for buildProgram alone (parsing, help, the command tree): nothing is a terminal, nothing is read. */
export const silentIo = () => ({
  stdout: new PassThrough(),
  stderr: new PassThrough(),
  stdin: Readable.from([]),
  stdoutIsTTY: false,
  stderrIsTTY: false,
  stdinIsTTY: false,
});

/** Runs the whole CLI in-process with in-memory streams; HTTP goes through nock, waits are recorded not slept. */
export async function runCli(argv: string[], options: RunOptions = {}): Promise<CliRun> {
  const stdout = collect();
  const stderr = collect();
  const sleeps: number[] = [];
  const tty = options.tty ?? false;
  const code = await run(argv, {
    io: {
      stdout: stdout.stream,
      stderr: stderr.stream,
      stdin: Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]),
      stdoutIsTTY: tty,
      stderrIsTTY: tty,
      stdinIsTTY: tty,
      columns: options.columns,
    },
    env: { HOME: options.cwd ?? tempDir(), ...options.env },
    cwd: options.cwd ?? tempDir(),
    overrides: {
      now: options.now ? () => options.now! : undefined,
      http: { sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 },
    },
  });
  const out = stdout.text();
  return {
    code,
    stdout: out,
    stderr: stderr.text(),
    sleeps,
    json: () => JSON.parse(out),
  };
}

function collect() {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}
