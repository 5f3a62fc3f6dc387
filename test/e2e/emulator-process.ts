/**
 * Long-running binaries for the end-to-end tests: the emulator and `listen`, spawned from the BUILT
 * bin/protime-hooks.js with a clean environment, plus small helpers to talk to the emulator's
 * control endpoints. Every process started here is tracked so `stopAll()` (called in afterEach)
 * can make sure nothing is left behind.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EmulatorInfo } from '../../src/commands/emulator.js';
import type { LoggedRequest } from '../../src/emulator/control.js';
import { BIN, type BinaryRun, runBinary } from './run-binary.js';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A spawned binary (or another Node script, such as an example receiver) that keeps running until it exits or is stopped. */
export class BinaryProcess {
  readonly child: ChildProcessWithoutNullStreams;
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  #exit: Exit | undefined;

  constructor(args: string[], env: Record<string, string>, cwd: string, script = BIN) {
    this.child = spawn(process.execPath, [script, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: env.HOME ?? '/nonexistent', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout.setEncoding('utf8');
    this.child.stderr.setEncoding('utf8');
    this.child.stdout.on('data', (d: string) => (this.stdout += d));
    this.child.stderr.on('data', (d: string) => (this.stderr += d));
    this.child.stdin.end();
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
      });
    });
    running.add(this);
    void this.exited.then(() => running.delete(this));
  }

  get hasExited(): boolean {
    return this.#exit !== undefined;
  }

  /** Resolves once `stream` contains text matching `pattern`; rejects if the process exits or time runs out. */
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(this[stream]);
        if (match) {
          cleanup();
          resolve(match[0]);
        }
      };
      const onExit = () => {
        // A last chunk may arrive together with the exit.
        const match = pattern.exec(this[stream]);
        cleanup();
        if (match) resolve(match[0]);
        else reject(new Error(`process exited before ${stream} matched ${pattern}\nstdout: ${this.stdout}\nstderr: ${this.stderr}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${stream} to match ${pattern}\nstdout: ${this.stdout}\nstderr: ${this.stderr}`));
      }, timeoutMs);
      const source = stream === 'stdout' ? this.child.stdout : this.child.stderr;
      const cleanup = () => {
        clearTimeout(timer);
        source.off('data', check);
        this.child.off('close', onExit);
      };
      source.on('data', check);
      this.child.on('close', onExit);
      check();
    });
  }

  /** Resolves with the exit, or rejects after `timeoutMs` (the process is left to stopAll). */
  waitForExit(timeoutMs = 10_000): Promise<Exit> {
    return Promise.race([
      this.exited,
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`process did not exit within ${timeoutMs} ms\nstdout: ${this.stdout}\nstderr: ${this.stderr}`)),
          timeoutMs,
        ).unref(),
      ),
    ]);
  }

  /** SIGTERM, then SIGKILL if it is still alive after `graceMs`. */
  async stop(graceMs = 2_000): Promise<Exit> {
    if (this.#exit) return this.#exit;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (!this.#exit) this.child.kill('SIGKILL');
    }, graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }
}

const running = new Set<BinaryProcess>();

/** Stops every process still running (SIGTERM, SIGKILL after 2 s). For afterEach. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop(2_000)));
}

const dirs: string[] = [];

/** A fresh temp folder; `removeTempDirs()` deletes them. */
export function makeTempDir(prefix = 'ph-e2e-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A port that was free a moment ago (listen on 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

// The shapes the emulator itself declares: what the process prints, and what its control endpoints answer.
export type { EmulatorInfo } from '../../src/commands/emulator.js';
export type { LoggedRequest } from '../../src/emulator/control.js';

export interface EmulatorWebhook {
  id: string;
  key: string;
  validUntil: string;
  status: string;
  destinationUrl: string;
  collectionName: string;
  createdAt: string;
}

/** A running `protime-hooks emulator --port 0 --json` process. */
export class EmulatorProcess {
  private constructor(
    readonly process: BinaryProcess,
    readonly info: EmulatorInfo,
  ) {}

  static async start(extraArgs: string[] = []): Promise<EmulatorProcess> {
    const cwd = makeTempDir('ph-emu-');
    const proc = new BinaryProcess(['emulator', '--port', '0', '--json', ...extraArgs], { HOME: cwd }, cwd);
    const line = await proc.waitFor('stdout', /^.*\n/);
    return new EmulatorProcess(proc, JSON.parse(line) as EmulatorInfo);
  }

  get url(): string {
    return this.info.url;
  }

  /** `login` against this emulator, the secret on stdin; `at` maps its URLs (a TLS front, a proxy target). */
  loginArgs(at: (url: string) => string = (url) => url): string[] {
    const { tenant, clientId, apiUrl, tokenUrl } = this.info;
    return [
      'login',
      '--tenant',
      tenant,
      '--client-id',
      clientId,
      '--api-url',
      at(apiUrl),
      '--token-url',
      at(tokenUrl),
      '--client-secret-stdin',
    ];
  }

  async control<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.info.url}/_emulator${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async webhooks(): Promise<EmulatorWebhook[]> {
    return (await this.control<EmulatorWebhook[]>('GET', '/webhooks')).body;
  }

  async requests(): Promise<LoggedRequest[]> {
    return (await this.control<LoggedRequest[]>('GET', '/requests')).body;
  }

  async clearRequests(): Promise<void> {
    const { status } = await this.control('DELETE', '/requests');
    if (status !== 204) throw new Error(`DELETE /_emulator/requests answered ${status}`);
  }

  async addFault(fault: Record<string, unknown>): Promise<void> {
    const { status, body } = await this.control('POST', '/faults', fault);
    if (status !== 201) throw new Error(`POST /_emulator/faults answered ${status}: ${JSON.stringify(body)}`);
  }

  async setValidUntil(id: string, validUntil: Date): Promise<void> {
    const { status, body } = await this.control('POST', `/webhooks/${encodeURIComponent(id)}/valid-until`, {
      validUntil: validUntil.toISOString(),
    });
    if (status !== 200) throw new Error(`valid-until answered ${status}: ${JSON.stringify(body)}`);
  }

  stop(): Promise<Exit> {
    return this.process.stop();
  }
}

/**
 * One user of the CLI: its own config dir and working folder (so no stray .env is read), running
 * the built binary against one emulator.
 */
export class CliUser {
  readonly configDir: string;
  readonly cwd: string;

  /** `extraEnv`: set for every command of this user (a store URL, a store key). */
  constructor(
    readonly emulator: EmulatorProcess,
    readonly extraEnv: Record<string, string> = {},
  ) {
    this.cwd = makeTempDir('ph-cwd-');
    this.configDir = join(makeTempDir('ph-cfg-'), 'config');
  }

  get env(): Record<string, string> {
    return { HOME: this.cwd, PROTIME_HOOKS_CONFIG_DIR: this.configDir, ...this.extraEnv };
  }

  get stateFile(): string {
    return join(this.configDir, 'state.json');
  }

  run(args: string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<BinaryRun> {
    return runBinary(args, { env: { ...this.env, ...options.env }, stdin: options.stdin, cwd: this.cwd });
  }

  login(secret = this.emulator.info.clientSecret, extra: string[] = []): Promise<BinaryRun> {
    return this.run([...this.emulator.loginArgs(), ...extra], { stdin: `${secret}\n` });
  }

  /** Starts a long-running command (listen) as this user. */
  spawn(args: string[]): BinaryProcess {
    return new BinaryProcess(args, this.env, this.cwd);
  }
}

/** Throws with the run's output when the exit code is not the expected one: a readable failure. */
export function expectExit(run: BinaryRun, code: number, what = 'command'): BinaryRun {
  if (run.code !== code) {
    throw new Error(`${what} exited ${run.code} (signal ${run.signal}), expected ${code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  }
  return run;
}
