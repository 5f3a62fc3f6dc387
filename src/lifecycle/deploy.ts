import { spawn } from 'node:child_process';
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Context } from '../context.js';
import { formatDuration } from '../shared/duration.js';
import type { SubscriptionRecord } from '../state/schemas.js';
import { syncKeysFile } from './keys.js';

export type HookEvent = 'created' | 'renewed' | 'recreated' | 'dry-run';

/** What handing a key to the receivers came to: `deployed` is null when no hook is configured. */
export interface Deployment {
  deployed: boolean | null;
  hookErrors: string[];
}

export const DEFAULT_HOOK_TIMEOUT_SECONDS = 60;
/** After SIGTERM at the timeout, the hook's process group gets this long before SIGKILL. */
const KILL_GRACE_MS = 1000;

/** Variables never handed to a hook: the secrets a caller may have set for protime-hooks itself (the store URL may hold a password). */
const SECRET_VARIABLES = ['PROTIME_CLIENT_SECRET', 'PROTIME_HOOKS_STORE_KEY', 'PROTIME_HOOKS_STORE', 'PGPASSWORD'];

interface Hook {
  /** How it is named in messages: the command, or the file under hooks/deploy/. */
  name: string;
  file?: string;
  command?: string;
}

/** The subscription's own hook first, then every executable file in `<config-dir>/hooks/deploy/`, in name order. */
export function hooksFor(configDir: string, record: Pick<SubscriptionRecord, 'deployHook'>): Hook[] {
  const hooks: Hook[] = record.deployHook ? [{ name: record.deployHook, command: record.deployHook }] : [];
  const dir = join(configDir, 'hooks', 'deploy');
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return hooks;
  }
  for (const name of names) {
    const file = join(dir, name);
    // Dot files (editor backups, temp files) and dangling links are not hooks.
    if (name.startsWith('.') || !statSync(file, { throwIfNoEntry: false })?.isFile() || !executable(file)) continue;
    hooks.push({ name: `hooks/deploy/${name}`, file });
  }
  return hooks;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface HookSubject {
  record: SubscriptionRecord;
  event: HookEvent;
  previousId: string | null;
  tenant: string;
  timeoutSeconds: number;
}

/**
 * Runs every hook for one subscription, one after another, each with the key on stdin. All run
 * even when one fails, so every receiver that can take the key gets it; the deploy has succeeded
 * only when all of them did.
 */
export async function runHooks(ctx: Context, subject: HookSubject): Promise<Deployment> {
  const hooks = hooksFor(ctx.globals.configDir, subject.record);
  if (hooks.length === 0) return { deployed: null, hookErrors: [] };
  // A hook that echoes its input must not put the key on our stderr.
  if (subject.record.key) ctx.scrubber.add(subject.record.key, { data: true });
  const hookErrors: string[] = [];
  for (const hook of hooks) {
    const error = await runHook(ctx, hook, subject);
    if (error) {
      hookErrors.push(error);
      ctx.log.error(`Deploy hook ${hook.name} for ${subject.record.id} failed: ${error}.`);
    }
  }
  return { deployed: hookErrors.length === 0, hookErrors };
}

function hookEnv(ctx: Context, subject: HookSubject): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...ctx.env };
  for (const name of SECRET_VARIABLES) delete env[name];
  const { record } = subject;
  return {
    ...env,
    PROTIME_HOOKS_EVENT: subject.event,
    PROTIME_HOOKS_PROFILE: ctx.globals.profile,
    PROTIME_HOOKS_TENANT: subject.tenant,
    PROTIME_HOOKS_COLLECTION: record.collection,
    PROTIME_HOOKS_DESTINATION_URL: record.destinationUrl,
    PROTIME_HOOKS_WEBHOOK_ID: record.id,
    PROTIME_HOOKS_PREVIOUS_WEBHOOK_ID: subject.previousId ?? '',
    PROTIME_HOOKS_VALID_UNTIL: record.validUntil,
    PROTIME_HOOKS_RESYNC_REQUIRED: subject.event === 'recreated' ? '1' : '0',
  };
}

/** One hook in its own process group (so a timeout kills its children too). Resolves with an error text, or undefined. */
function runHook(ctx: Context, hook: Hook, subject: HookSubject): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(hook.file ?? '/bin/sh', hook.file ? [] : ['-c', hook.command!], {
      cwd: ctx.globals.configDir,
      env: hookEnv(ctx, subject),
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    // Each line of its output becomes a `[hook]` line of ours (scrubbed by the logger); under
    // --quiet it is held back like a warning, and shown when the run fails.
    const log = ctx.log.withTag('hook');
    for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on('line', (line) => log.warn(line));
    // A hook that never reads stdin may exit before the key is written: EPIPE is not a failure.
    child.stdin.on('error', () => undefined);
    child.stdin.end(`${subject.record.key ?? ''}\n`);

    let timedOut = false;
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // The group is gone already.
      }
    };
    let killTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
    }, subject.timeoutSeconds * 1000);

    child.on('error', (error) => {
      clearTimeout(timer);
      resolve(`could not be started (${(error as NodeJS.ErrnoException).code ?? error.message})`);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) {
        // Whatever it started is killed with it.
        killGroup('SIGKILL');
        clearTimeout(killTimer);
      }
      // A background child may hold the pipes open; its output is not waited for.
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, 200).unref();
      const outcome = timedOut
        ? `timed out after ${formatDuration(subject.timeoutSeconds)} and was killed`
        : code !== 0
          ? signal
            ? `was killed by ${signal}`
            : `exited with code ${code}`
          : undefined;
      // Settled once its output is read (or given up on, above): its lines come before what we say of it.
      child.once('close', () => resolve(outcome));
    });
  });
}

/** Whether a new key of `record` has receivers to reach (hooks or a keys file): then it is marked pending until they have it. */
export function handoverNeeded(ctx: Context, keysFile: boolean, record: Pick<SubscriptionRecord, 'deployHook'>): boolean {
  return keysFile || hooksFor(ctx.globals.configDir, record).length > 0;
}

/**
 * Hands a stored key to the receivers: rewrites the keys file, then runs the hooks. Settles the
 * record's pending mark: cleared when all succeeded, kept with the errors otherwise (the caller
 * then keeps the webhook it replaces, and the next renew tries again).
 */
export function handOver(...args: Parameters<typeof handOverNow>): Promise<Deployment> {
  // A key is marked pending by its create exactly when it had receivers (a keys file, hooks):
  // without the mark there is no one to hand it to, and no need to queue behind other hand-overs.
  if (!args[1].deployPending) return Promise.resolve({ deployed: null, hookErrors: [] });
  // One at a time: hooks of one receiver are not run over each other, and each keys file write
  // is made from a store that holds every key stored before it.
  return args[0].serially(() => handOverNow(...args));
}

async function handOverNow(
  ctx: Context,
  record: SubscriptionRecord,
  event: Exclude<HookEvent, 'dry-run'>,
  previousId: string | null,
  timeoutSeconds: number,
): Promise<Deployment> {
  // One read for both: a hand-over runs once per new key, one at a time, and on a large store
  // each read after a write parses the whole file.
  const data = await ctx.store.read();
  const entry = data.profiles[ctx.globals.profile] ?? (await ctx.profileEntry());
  const errors: string[] = [];
  try {
    await syncKeysFile(ctx, data);
  } catch (error) {
    errors.push((error as Error).message);
    ctx.log.error((error as Error).message);
  }
  const hooks = await runHooks(ctx, { record, event, previousId, tenant: entry.tenant, timeoutSeconds });
  errors.push(...hooks.hookErrors);
  const deployed = errors.length > 0 ? false : hooks.deployed;
  if (deployed !== false && !record.deployPending) return { deployed, hookErrors: errors };
  await ctx.store.update((data) => {
    const current = data.subscriptions[ctx.globals.profile]?.[record.id];
    if (!current) return;
    if (deployed === false) {
      current.deployPending = { event, previousId, since: current.deployPending?.since ?? ctx.now().toISOString(), errors };
    } else delete current.deployPending;
  });
  return { deployed, hookErrors: errors };
}
