import type { Context } from '../context.js';
import { type Assessed, assess } from '../lifecycle/assess.js';
import { type CreateInput, closeUnsent, createAndStore, type OpenedIntent, openCreates } from '../lifecycle/create.js';
import { deleteFailing } from '../lifecycle/delete-failing.js';
import { type Deployment, handOver, runHooks } from '../lifecycle/deploy.js';
import { syncKeysFile } from '../lifecycle/keys.js';
import { readList, unreadableIds } from '../lifecycle/listing.js';
import { finishOwedDeletes, type OwedDelete } from '../lifecycle/owed-deletes.js';
import { claimedByIntents, preexistingIds, settleIntents } from '../lifecycle/reconcile.js';
import { deleteRemote, forgetExpiredKeys, markRetired, recordDeleteFailure, retire } from '../lifecycle/retire.js';
import { recordRun } from '../lifecycle/run-record.js';
import { renewalSlots, type Send, type Slots } from '../lifecycle/slots.js';
import { checkWebhookId, isLive, sameDestination } from '../lifecycle/subscriptions.js';
import type { ExternalReference, WebhookList } from '../protime/api.js';
import type { ProtimeClient } from '../protime/client.js';
import type { Webhook } from '../protime/schemas.js';
import { CliError, type ExitKind, usageError } from '../shared/errors.js';
import { printable } from '../shared/names.js';
import { type Column, shortId, shortTime, table, type View } from '../shared/output.js';
import type { SubscriptionRecord } from '../state/schemas.js';
import type { Release } from '../state/store.js';

export interface RenewOptions {
  /** Given ids are renewed due or not; none means every due subscription. */
  ids: string[];
  keepOld: boolean;
  /** With ids: foreign webhooks among them are taken over instead of refused. */
  adopt?: boolean;
  recreate: boolean;
  dryRun: boolean;
  renewWithinSeconds?: number;
  waitSeconds?: number;
  /** --deploy-hook sets the hook on the subscriptions renewed; --no-deploy-hook (false) clears it; undefined inherits. */
  deployHook?: string | false;
  hookTimeoutSeconds: number;
  /** With --dry-run: run the hooks of each planned subscription with its current key. */
  runDeployHooks: boolean;
  /** API requests of replacements in flight at once (--concurrency, default 8). */
  concurrency: number;
  /** Shared by every profile of an --all-profiles run, so the bound holds across them. */
  slots?: Slots;
  /** Handled by the CLI: the same run for every stored profile. */
  allProfiles?: boolean;
  /** --random-delay: first sleep a random time up to this long (cron fleets). */
  randomDelaySeconds?: number;
}

export interface RenewItem {
  /**
   * `deployed`: the hooks of an earlier renewal (or subscribe) that had failed now succeeded.
   * `deferred`: the delete of a replaced webhook, failing since an earlier run, waits out its backoff.
   */
  action: 'renewed' | 'recreated' | 'skipped' | 'failed' | 'planned' | 'deployed' | 'deferred';
  oldId: string;
  newId: string | null;
  collection: string | null;
  destinationUrl: string | null;
  key: string | null;
  validUntil: string | null;
  error: string | null;
  errorCode: string | null;
  /** Whether every hook (and the keys file) got the new key; null when there is none to reach. */
  deployed: boolean | null;
  hookErrors: string[];
}

export interface RenewResult {
  profile: string;
  results: RenewItem[];
}

/** What the plan does with one subscription. `discard` deletes a keyless leftover of an interrupted run. */
export type Step =
  | { kind: 'replace'; entry: Assessed; action: 'renewed' | 'recreated' }
  | { kind: 'skip'; entry: Assessed; reason: string }
  | { kind: 'discard'; entry: Assessed; reason: string }
  | { kind: 'fail'; id: string; reason: string; code: string };

const CRITICAL = new Set(['expired', 'disabled', 'missing']);
/** Failures that only need a later try (exit 75) rather than a person (exit 1); kept out of JSON. */
const temporaryFailures = new WeakSet<RenewItem>();

export async function run(options: RenewOptions, ctx: Context): Promise<RenewResult> {
  for (const id of options.ids) checkWebhookId(id);
  if (options.runDeployHooks && !options.dryRun) {
    throw usageError('usage', '--run-deploy-hooks goes with --dry-run.', 'A real renew runs the hooks by itself.');
  }
  const profile = ctx.globals.profile;
  const client = await ctx.client();
  if (options.randomDelaySeconds) {
    const ms = Math.floor(ctx.http.random() * options.randomDelaySeconds * 1000);
    ctx.log.debug(`Waiting ${ms} ms first (--random-delay).`);
    await ctx.http.sleep(ms);
  }
  const release = options.dryRun
    ? async () => undefined
    : await ctx.store.runLock(profile, 'renew', {
        waitMs: (options.waitSeconds ?? 0) * 1000,
        onWait: (message) => ctx.log.info(message),
      });
  try {
    const result = await renewHeld(options, ctx, client, release);
    if (!options.dryRun) await recordRun(ctx, profile, exitKind(result) === 'ok');
    return result;
  } catch (error) {
    // A usage mistake (an id not this profile's) is not a renewal that failed.
    if (!options.dryRun && !(error instanceof CliError && error.kind === 'usage')) await recordRun(ctx, profile, false);
    throw error;
  } finally {
    await release();
  }
}

/** The renewal proper, under the profile's run lock. */
async function renewHeld(options: RenewOptions, ctx: Context, client: ProtimeClient, lock: Release): Promise<RenewResult> {
  const profile = ctx.globals.profile;
  const server = await readList(ctx, client);
  if (!options.dryRun) {
    const adopted = await settleIntents(ctx.store, profile, server);
    if (adopted.length > 0) ctx.log.warn(`${adopted.length} webhook(s) created by an interrupted run lost their keys; replacing them.`);
  }
  const data = await ctx.store.read();
  const claimed = claimedByIntents(data.intents?.[profile], data.subscriptions[profile], server.webhooks);
  refuseForeign(options, server.webhooks, data.subscriptions[profile] ?? {}, claimed);
  // Hand-overs an earlier run could not finish come first: until they succeed, the webhooks
  // they replace must stay.
  const results: RenewItem[] = options.dryRun ? [] : await retryPendingDeploys(ctx, options);
  results.push(...reportOwedDeletes(ctx, await finishOwedDeletes(ctx, client, options.dryRun)));
  if (!options.dryRun) {
    await forgetExpiredKeys(ctx);
    await syncKeysFile(ctx);
  }
  const entries = assess((await ctx.store.read()).subscriptions[profile], server, ctx.now(), options.renewWithinSeconds, claimed);
  const steps = plan(entries, options, unreadableIds(server));
  // The table has no column for reasons: say on stderr why an id given could not be renewed.
  for (const step of steps) if (step.kind === 'fail') ctx.log.error(step.reason);
  // Every replacement's intent in one durable write, before any POST: no create then waits for a
  // write of its own first. Those of steps never started are closed once the run is over.
  const replaces = steps.filter((step) => step.kind === 'replace');
  const opened = new Map<Step, OpenedIntent>();
  if (!options.dryRun && replaces.length > 0) {
    const intents = await openCreates(
      ctx,
      replaces.map((step) => createInput(step, options, server, lock)),
    );
    for (const [i, step] of replaces.entries()) opened.set(step, intents[i]!);
  }
  const slots = options.slots ?? renewalSlots(options.concurrency);
  const halt: Halt = {};
  // A fleet's profiles run side by side: one line each would overwrite the others.
  const progress = startProgress(ctx, options.slots ? 0 : replaces.length);
  let items: (RenewItem | undefined)[];
  try {
    items = await byDestination(steps, halt, (step) =>
      slots
        .steps(async () => {
          // Queued behind the slot while another step ended the run: never started.
          if (halt.stop) return undefined;
          const intent = opened.get(step);
          opened.delete(step);
          return options.dryRun
            ? await planned(step, options, ctx)
            : await execute(step, options, ctx, { client, server, lock, send: slots.requests, halt }, intent);
        })
        .then(async (done) => {
          const result = done && 'later' in done ? await done.later : done;
          if (step.kind === 'replace') progress.tick();
          return result;
        }),
    );
  } finally {
    progress.done();
    // Not sent: closed, or (the store gone) left for the next run to settle, which finds nothing made.
    await closeUnsent(ctx, [...opened.values()]).catch(() => undefined);
  }
  results.push(...items.filter((item): item is RenewItem => item !== undefined));
  return { profile, results };
}

/**
 * Runs the steps of different destinations concurrently and those of one destination in plan
 * order (a keyless leftover is discarded before or after its replacement, never beside it);
 * returns their results in plan order.
 */
async function byDestination<T>(steps: Step[], halt: Halt, run: (step: Step) => Promise<T | undefined>): Promise<(T | undefined)[]> {
  const groups = new Map<string, number[]>();
  steps.forEach((step, i) => {
    const key = step.kind === 'fail' ? `id ${step.id}` : `${step.entry.collection} ${step.entry.destinationUrl}`;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  const results: (T | undefined)[] = new Array(steps.length);
  // A step that throws ends the run (credentials revoked, the store gone): no further step starts,
  // and the run waits for those in flight, so none outlives the run lock.
  await Promise.all(
    [...groups.values()].map(async (indexes) => {
      for (const i of indexes) {
        if (halt.stop) return;
        try {
          results[i] = await run(steps[i]!);
        } catch (error) {
          halt.stop ??= { error };
          return;
        }
      }
    }),
  );
  if (halt.stop) throw halt.stop.error;
  return results;
}

/** A progress line on a terminal for runs of more than five replacements; nothing otherwise. */
function startProgress(ctx: Context, total: number): { tick(): void; done(): void } {
  const shown = total > 5 && ctx.io.stderrIsTTY && !ctx.globals.quiet && !ctx.globals.json;
  let done = 0;
  const draw = () => ctx.io.stderr.write(`\r\u001b[2Krenewing: ${done}/${total} replaced`);
  if (shown) draw();
  return {
    tick() {
      done++;
      if (shown) draw();
    },
    done() {
      if (shown) ctx.io.stderr.write('\r\u001b[2K');
    },
  };
}

/** Ids given that are another profile's or tool's: never touched without --adopt (exit 2 before anything changes). */
function refuseForeign(options: RenewOptions, server: Webhook[], records: Record<string, SubscriptionRecord>, claimed: Set<string>): void {
  if (options.adopt) return;
  const foreign = options.ids.filter((id) => !records[id] && !claimed.has(id) && server.some((w) => w.id === id));
  if (foreign.length === 0) return;
  throw usageError(
    'not-owned',
    `Not renewed: ${foreign.join(', ')} ${foreign.length === 1 ? 'is' : 'are'} not this profile's (made by another profile, machine or tool).`,
    'Pass --adopt to replace it with a webhook whose key this profile holds (the other owner then loses it).',
  );
}

/**
 * Pure: which subscriptions to replace, skip or discard. Keyless webhooks left by an interrupted
 * run are replaced only when nothing else with a key serves their destination, so each destination
 * ends with exactly one keyed webhook. One whose list item could not be read (`unreadable`: ids
 * given, or every such subscription of the profile when none are) fails and is left alone: its
 * health is unknown, and a replacement would give its destination two webhooks.
 */
export function plan(
  entries: Assessed[],
  options: Pick<RenewOptions, 'ids' | 'recreate'>,
  /** Ids of list items that could not be read, this profile's or not. */
  unreadable: ReadonlySet<string> = new Set(),
): Step[] {
  const byId = new Map(entries.map((e) => [e.id, e]));
  const steps: Step[] = [];
  const targets: Assessed[] = [];
  const unread = (id: string, problem?: string): Step => ({
    kind: 'fail',
    id,
    reason: `${printable(id)} is on Protime's list but could not be read${problem ? ` (${printable(problem)})` : ''}; left alone: not renewed, recreated or deleted.`,
    code: 'unreadable',
  });
  if (options.ids.length > 0) {
    for (const id of new Set(options.ids)) {
      const entry = byId.get(id);
      if (entry?.state === 'replaced')
        steps.push({ kind: 'fail', id, reason: `${id} was already replaced by ${entry.record?.replacedBy}.`, code: 'already-replaced' });
      else if (entry?.state === 'unreadable' || (!entry && unreadable.has(id))) steps.push(unread(id, entry?.problem));
      else if (entry) targets.push(entry);
      else steps.push({ kind: 'fail', id, reason: `No subscription ${id} on the server or in this profile's records.`, code: 'not-found' });
    }
  } else {
    steps.push(...entries.filter((e) => e.state === 'unreadable').map((e) => unread(e.id, e.problem)));
    // A replaced webhook is never a target: finishReplacements() owes it a delete, nothing more.
    // Nor is an unreadable one, even a keyless leftover: its health is unknown.
    const idle = new Set(['replaced', 'unreadable']);
    targets.push(...entries.filter((e) => !idle.has(e.state) && (e.state === 'renew-due' || e.record?.adopted || CRITICAL.has(e.state))));
  }
  // Orphans last: whether one is needed depends on what the other targets (a --recreate of a
  // missing or expired webhook of the same destination) end up replacing.
  targets.sort((a, b) => Number(Boolean(a.record?.adopted)) - Number(Boolean(b.record?.adopted)));
  const served = new Set<Assessed>();
  const sameGroup = (a: Assessed, b: Assessed) => a.collection === b.collection && sameDestination(a.destinationUrl, b.destinationUrl);
  const servedBy = (entry: Assessed) =>
    [...served].find((e) => sameGroup(e, entry)) ??
    entries.find(
      (e) => e !== entry && e.hasKey && (e.state === 'ok' || e.state === 'renew-due') && !e.record?.adopted && sameGroup(e, entry),
    );
  for (const entry of targets) {
    if (CRITICAL.has(entry.state) && !options.recreate) {
      steps.push({
        kind: 'skip',
        entry,
        reason: `${entry.state}: events were missed. Protime requires a full re-sync of ${entry.collection} first; then run renew --recreate.`,
      });
      continue;
    }
    // A destination gets one webhook: a leftover, or a dead one being recreated, is only retired
    // when another webhook with a held key already serves it (or will, from this run).
    const other = CRITICAL.has(entry.state) || entry.record?.adopted ? servedBy(entry) : undefined;
    if (other) {
      steps.push({ kind: 'discard', entry, reason: `its destination is served by ${other.id}` });
      continue;
    }
    served.add(entry);
    steps.push({ kind: 'replace', entry, action: CRITICAL.has(entry.state) ? 'recreated' : 'renewed' });
  }
  return steps;
}

/** A replacement whose last store write is still under way (outside the concurrency slot). */
interface Later {
  later: Promise<RenewItem>;
}

/** What a replacement creates: the same webhook again, for the intent written before the run's first POST. */
function createInput(step: Step & { kind: 'replace' }, options: RenewOptions, server: WebhookList, runLock: Release): CreateInput {
  const { entry } = step;
  return {
    kind: 'renew',
    collection: entry.collection,
    destinationUrl: entry.destinationUrl,
    externalReferences: entry.record?.externalReferences ?? referencesOf(entry.webhook?.externalReferences),
    replaces: entry.id,
    preexisting: preexistingIds(server, entry.collection, entry.destinationUrl),
    keepOld: options.keepOld,
    deployHook: chosenHook(options, entry.record?.deployHook),
    event: step.action,
    runLock,
  };
}

/** What every step of one profile's run shares. */
interface Run {
  client: ProtimeClient;
  server: WebhookList;
  lock: Release;
  /** Each API request waits here for a slot of --concurrency. */
  send: Send;
  halt: Halt;
}

/**
 * What ended the run, if anything did: set by the step that throws, or as soon as a create's
 * answer says every other would fail too, so that a create still waiting for its slot is not sent.
 */
interface Halt {
  stop?: { error: unknown };
}

/**
 * A failure of this renewal alone. Credentials gone (exit 4), the run lock lost (75), or no CliError
 * at all: every other renewal would fail the same way, and the run stops.
 */
function failsAlone(error: unknown): error is CliError {
  return error instanceof CliError && error.kind !== 'auth' && error.code !== 'run-lock-lost';
}

/** Thrown instead of sending a create once the run has stopped; the error that stopped it is the one reported. */
const STOPPED = new Error('the run stopped before this create was sent');

async function execute(
  step: Step,
  options: RenewOptions,
  ctx: Context,
  { client, server, lock, send, halt }: Run,
  opened?: OpenedIntent,
): Promise<RenewItem | undefined | Later> {
  if (step.kind === 'fail') return item('failed', step.id, null, { error: step.reason, errorCode: step.code });
  const { entry } = step;
  if (step.kind === 'skip') {
    ctx.log.warn(`Skipped ${entry.id} (${entry.collection}), ${step.reason}`);
    return item('skipped', entry.id, entry, { error: step.reason, errorCode: entry.state });
  }
  if (step.kind === 'discard') {
    const outcome = await retire(ctx, client, entry.id, { dropKey: true, send });
    if (outcome instanceof CliError) ctx.log.warn(`Could not delete webhook ${entry.id} (${outcome.message}); the next run tries again.`);
    else
      ctx.log.info(
        `Retired webhook ${entry.id} (${entry.record?.adopted ? 'left without a key by an interrupted run' : entry.state}): ${step.reason}.`,
      );
    return undefined;
  }
  const failedWith = (error: unknown): RenewItem => {
    if (!failsAlone(error)) throw error;
    const failed = item('failed', entry.id, entry, { error: error.message, errorCode: error.code });
    if (error.kind === 'temporary') temporaryFailures.add(failed);
    ctx.log.error(`Renewing ${entry.id} failed: ${error.message}`);
    return failed;
  };
  try {
    const sendCreate: Send = (request) =>
      send(async () => {
        if (halt.stop) throw STOPPED;
        try {
          return await request();
        } catch (error) {
          // Before the slot is given back, so the create waiting for it is not sent.
          if (!failsAlone(error)) halt.stop ??= { error };
          throw error;
        }
      });
    const record = await createAndStore(ctx, client, { ...createInput(step, options, server, lock), send: sendCreate }, opened);
    const deployment = await handOver(ctx, record, step.action, entry.id, options.hookTimeoutSeconds);
    const renewed = (): RenewItem => ({
      action: step.action,
      oldId: entry.id,
      newId: record.id,
      collection: record.collection,
      destinationUrl: record.destinationUrl,
      key: record.key,
      validUntil: record.validUntil,
      ...deploymentFields(deployment, 'Deploy hooks failed'),
    });
    if (deployment.deployed === false) {
      ctx.log.error(`Renewed ${entry.id} as ${record.id}, but not every receiver has the new key; ${entry.id} is kept until they do.`);
      return renewed();
    }
    if (options.keepOld) return renewed();
    const deleted = await send(() => deleteRemote(client, entry.id));
    // Recorded after the step's slot is given back: the next replacement need not wait for this
    // write (the run reports only once it is durable).
    return {
      later: settleDelete(ctx, entry.id, deleted).then(renewed, failedWith),
    };
  } catch (error) {
    return failedWith(error);
  }
}

/** The old webhook's DELETE done: its record marked deleted, or the failure counted for the next run. */
async function settleDelete(ctx: Context, id: string, deleted: 'deleted' | 'absent' | CliError): Promise<void> {
  if (!(deleted instanceof CliError)) return markRetired(ctx, id, { dropKey: false });
  const owed = await recordDeleteFailure(ctx, id, deleted);
  ctx.log.warn(`Renewed ${id}, but deleting it failed (${deleted.message}); the next run deletes it, from ${owed?.nextDeleteAt} on.`);
}

/**
 * Subscriptions whose new key some receiver did not get: run their hand-over again, with the hook
 * given now (--deploy-hook is how a broken hook is fixed) or the one stored.
 */
async function retryPendingDeploys(ctx: Context, options: RenewOptions): Promise<RenewItem[]> {
  const isPending = (r: SubscriptionRecord) => Boolean(r.deployPending) && isLive(r);
  const records = (await ctx.store.read()).subscriptions[ctx.globals.profile] ?? {};
  if (!Object.values(records).some(isPending)) return [];
  const pending =
    options.deployHook === undefined
      ? Object.values(records).filter(isPending)
      : await ctx.store.update((data) => {
          const list = Object.values(data.subscriptions[ctx.globals.profile] ?? {}).filter(isPending);
          for (const record of list) record.deployHook = chosenHook(options, record.deployHook);
          return list;
        });
  const items: RenewItem[] = [];
  for (const record of pending) {
    const { event, previousId } = record.deployPending!;
    const deployment = await handOver(ctx, record, event, previousId, options.hookTimeoutSeconds);
    if (deployment.deployed !== false) ctx.log.info(`Every receiver now has the key of ${record.id}.`);
    items.push({
      action: deployment.deployed === false ? 'failed' : 'deployed',
      oldId: previousId ?? record.id,
      newId: record.id,
      collection: record.collection,
      destinationUrl: record.destinationUrl,
      key: null,
      validUntil: record.validUntil,
      ...deploymentFields(deployment, 'Deploy hooks failed again'),
    });
  }
  return items;
}

/**
 * Owed deletes as messages and items. Only one that already failed in an earlier run and is still
 * not done gets an item (exit 75): a first failure is a blip, and a delete made needs no line.
 */
function reportOwedDeletes(ctx: Context, outcomes: OwedDelete[]): RenewItem[] {
  const items: RenewItem[] = [];
  for (const o of outcomes) {
    const { id, replacedBy } = o.record;
    if (o.kind === 'deleted') ctx.log.info(`Deleted webhook ${id}, replaced earlier by ${replacedBy}.`);
    else if (o.kind === 'due') ctx.log.info(`Would delete webhook ${id}, replaced earlier by ${replacedBy}.`);
    else if (o.kind === 'failed' && !o.repeated)
      ctx.log.warn(`Could not delete replaced webhook ${id} (${o.error.message}); the next run from ${o.record.nextDeleteAt} tries again.`);
    else {
      const error = failingText(o.record);
      if (o.kind === 'failed') ctx.log.warn(`Still cannot delete replaced webhook ${id}: ${error}`);
      else ctx.log.info(`Not trying to delete replaced webhook ${id} yet (backoff): ${error}`);
      const { collection, destinationUrl } = o.record;
      const owed = item(o.kind, id, null, { newId: replacedBy ?? null, collection, destinationUrl, error, errorCode: 'delete-failed' });
      // A retry refused outright (a 400, a missing scope) needs a person, as any other failure
      // does; a deferred one is temporary (see exitKind).
      if (o.kind === 'failed' && o.error.kind === 'temporary') temporaryFailures.add(owed);
      items.push(owed);
    }
  }
  return items;
}

function failingText(record: SubscriptionRecord): string {
  const failing = deleteFailing(record);
  return `its delete has failed ${failing?.failures ?? 1} time(s) since ${failing?.since ?? 'an earlier run'} (${failing?.lastError ?? 'no error recorded'}); next try from ${failing?.nextAttemptAt ?? 'the next run'}.`;
}

async function planned(step: Step, options: RenewOptions, ctx: Context): Promise<RenewItem | undefined> {
  if (step.kind === 'discard') return undefined;
  if (step.kind === 'fail') return item('failed', step.id, null, { error: step.reason, errorCode: step.code });
  if (step.kind === 'skip') return item('skipped', step.entry.id, step.entry, { error: step.reason, errorCode: step.entry.state });
  const record = step.entry.record;
  if (!options.runDeployHooks || !record?.key) return item('planned', step.entry.id, step.entry, {});
  // A rehearsal: the hooks get the current key, and are told so.
  const tenant = (await ctx.profileEntry()).tenant;
  const deployment = await runHooks(ctx, {
    record: { ...record, deployHook: chosenHook(options, record.deployHook) },
    event: 'dry-run',
    previousId: null,
    tenant,
    timeoutSeconds: options.hookTimeoutSeconds,
  });
  return item('planned', step.entry.id, step.entry, deploymentFields(deployment, 'Deploy hooks failed'));
}

/** The hook a renewal runs: the one given now (none with --no-deploy-hook), else the one stored. */
function chosenHook(options: RenewOptions, stored: string | null | undefined): string | null {
  return options.deployHook === undefined ? (stored ?? null) : options.deployHook || null;
}

/** A deployment as item fields; a failed one is also the item's error. */
function deploymentFields(deployment: Deployment, failed: string): Pick<RenewItem, 'deployed' | 'hookErrors' | 'error' | 'errorCode'> {
  const ok = deployment.deployed !== false;
  return {
    ...deployment,
    error: ok ? null : `${failed}: ${deployment.hookErrors.join('; ')}`,
    errorCode: ok ? null : 'deploy-failed',
  };
}

function item(action: RenewItem['action'], oldId: string, entry: Assessed | null, extra: Partial<RenewItem>): RenewItem {
  return {
    action,
    oldId,
    newId: null,
    collection: entry?.collection ?? null,
    destinationUrl: entry?.destinationUrl ?? null,
    key: null,
    validUntil: null,
    error: null,
    errorCode: null,
    deployed: null,
    hookErrors: [],
    ...extra,
  };
}

/** Protime echoes external references in an undocumented shape: an object or a list of pairs. */
function referencesOf(value: unknown): ExternalReference[] {
  if (Array.isArray(value))
    return value.filter((p): p is ExternalReference => Array.isArray(p) && p.length === 2 && p.every((s) => typeof s === 'string'));
  if (value && typeof value === 'object') return Object.entries(value).filter((p): p is ExternalReference => typeof p[1] === 'string');
  return [];
}

/** Worst result first: lost events (5), then a failure needing a person (1), then one worth retrying (75). */
export function exitKind(result: RenewResult): ExitKind {
  if (result.results.some((r) => r.action === 'skipped')) return 'critical';
  if (result.results.some((r) => r.deployed === false)) return 'failure';
  const failed = result.results.filter((r) => r.action === 'failed');
  if (failed.some((r) => !temporaryFailures.has(r))) return 'failure';
  // A delete still owed after failing in an earlier run: temporary whether or not this run tried.
  return failed.length > 0 || result.results.some((r) => r.action === 'deferred') ? 'temporary' : 'ok';
}

export function summarize(result: RenewResult): string {
  if (result.results.length === 0) return '';
  const counts = new Map<string, number>();
  for (const r of result.results) counts.set(r.action, (counts.get(r.action) ?? 0) + 1);
  const undeployed = result.results.filter((r) => r.deployed === false).length;
  const undeleted = result.results.filter((r) => r.errorCode === 'delete-failed').length;
  const tails = [
    undeployed > 0 ? `; ${undeployed} new key(s) did not reach every receiver, their old webhooks are kept` : '',
    undeleted > 0 ? `; ${undeleted} replaced webhook(s) could not be deleted since an earlier run (see status)` : '',
  ];
  return `${[...counts].map(([action, n]) => `${n} ${action}`).join(', ')}${tails.join('')}.`;
}

/** In a narrow terminal: short ids and times, then VALID UNTIL goes; a key wraps, it is never cut. */
const COLUMNS: Column[] = [
  { head: 'ACTION' },
  { head: 'COLLECTION' },
  { head: 'DESTINATION', wrap: true },
  { head: 'OLD ID', short: shortId },
  { head: 'NEW ID', short: shortId },
  { head: 'VALID UNTIL', short: shortTime, drop: 1 },
  { head: 'KEY', wrap: true },
];

export function render(result: RenewResult, view: View): string {
  return table(
    view,
    COLUMNS,
    result.results.map((r) => [
      r.action,
      r.collection ?? '-',
      r.destinationUrl ?? '-',
      r.oldId,
      r.newId ?? '-',
      r.validUntil ?? '-',
      r.key ?? '-',
    ]),
  );
}
