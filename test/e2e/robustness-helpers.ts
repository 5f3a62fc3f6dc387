/**
 * Small helpers for the process-level robustness tests (kill, overlap, cron): reading the state
 * file the way a user would, grouping the emulator's webhooks, and a
 * cron-like runner (`env -i`, stdin closed, no TTY).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { type CliUser, type EmulatorProcess, type EmulatorWebhook, makeTempDir } from './emulator-process.js';
import { BIN } from './run-binary.js';

/** The API path of the webhook collection (POST creates, GET lists). */
export const API_WEBHOOKS_PATH = '/connector/protimeapi/api/v1/webhooks';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface StoredRecord {
  id: string;
  key: string | null;
  destinationUrl: string;
  collection: string;
  validUntil: string;
  createdAt: string;
  replacedBy?: string | null;
  deletedAt?: string | null;
  adopted?: boolean;
}

/** JSON.parse of state.json itself (throws on a torn or damaged file, which is the point). */
export function readStateFile(user: CliUser): any {
  return JSON.parse(readFileSync(user.stateFile, 'utf8'));
}

export function recordsOf(state: any, profile = 'default'): Record<string, StoredRecord> {
  return (state?.subscriptions?.[profile] ?? {}) as Record<string, StoredRecord>;
}

export function enabledWebhooks(webhooks: EmulatorWebhook[]): EmulatorWebhook[] {
  return webhooks.filter((w) => w.status === 'Enabled');
}

/** collection + destination → the Enabled webhooks serving it. */
export function byDestination(webhooks: EmulatorWebhook[]): Map<string, EmulatorWebhook[]> {
  const groups = new Map<string, EmulatorWebhook[]>();
  for (const w of enabledWebhooks(webhooks)) {
    const group = `${w.collectionName} ${w.destinationUrl}`;
    groups.set(group, [...(groups.get(group) ?? []), w]);
  }
  return groups;
}

export async function clearFaults(emulator: EmulatorProcess): Promise<void> {
  const { status } = await emulator.control('DELETE', '/faults');
  if (status !== 204) throw new Error(`DELETE /_emulator/faults answered ${status}`);
}

/** POSTs to the webhook collection (creates) in the emulator's request log. */
export async function createRequests(emulator: EmulatorProcess): Promise<number> {
  return (await emulator.requests()).filter((r) => r.method === 'POST' && r.path === API_WEBHOOKS_PATH).length;
}

const cronChildren = new Set<ChildProcess>();

/** SIGKILLs every runLikeCron child still running and waits for it to go. For afterEach. */
export async function killCronChildren(): Promise<void> {
  await Promise.all(
    [...cronChildren].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('close', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

export interface CronRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the binary the way cron does: `env -i HOME=… PATH=… PROTIME_HOOKS_CONFIG_DIR=… node
 * bin/protime-hooks.js <args>`, stdin closed (ignored), stdout and stderr pipes (no TTY), in a
 * folder without a .env. PATH is a cron-like minimal one plus the folder of this node binary.
 */
export function runLikeCron(
  args: string[],
  options: { home: string; configDir: string; cwd: string; timeoutMs?: number },
): Promise<CronRun> {
  const path = `${dirname(process.execPath)}:/usr/bin:/bin`;
  return new Promise((resolve, reject) => {
    const child = spawn(
      '/usr/bin/env',
      ['-i', `HOME=${options.home}`, `PATH=${path}`, `PROTIME_HOOKS_CONFIG_DIR=${options.configDir}`, 'node', BIN, ...args],
      { cwd: options.cwd, env: {}, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    cronChildren.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      cronChildren.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const mounts: string[] = [];

/** A fresh tmpfs of `size` (0700), or the reason this machine cannot mount one; `unmountAll()` undoes it. */
export function mountTmpfs(size: string): string | { skip: string } {
  const dir = makeTempDir('ph-tmpfs-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    return { skip: `cannot mount a tmpfs here (${String((error as { stderr?: Buffer }).stderr ?? error).trim()})` };
  }
  mounts.push(dir);
  return dir;
}

export function unmountAll(): void {
  for (const dir of mounts.splice(0)) execFileSync('umount', [dir]);
}
