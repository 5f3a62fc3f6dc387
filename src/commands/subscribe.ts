import type { Context } from '../context.js';
import { createAndStore } from '../lifecycle/create.js';
import { type Deployment, handOver } from '../lifecycle/deploy.js';
import { readList, unreadableIds } from '../lifecycle/listing.js';
import { preexistingIds, reconcile, settleIntents } from '../lifecycle/reconcile.js';
import { retire } from '../lifecycle/retire.js';
import {
  checkCollection,
  isLive,
  liveRecords,
  parseExternalReference,
  referencesJson,
  renewAfterText,
  sameDestination,
} from '../lifecycle/subscriptions.js';
import { type ExternalReference, formatExternalReferences, type WebhookList } from '../protime/api.js';
import type { ProtimeClient } from '../protime/client.js';
import { formatDuration } from '../shared/duration.js';
import { CliError, type ExitKind, failure, usageError } from '../shared/errors.js';
import { fields, paint, type View } from '../shared/output.js';
import { checkUrl } from '../shared/urls.js';
import type { SubscriptionRecord } from '../state/schemas.js';

export interface SubscribeOptions {
  collection: string;
  url?: string;
  externalRefs: string[];
  force: boolean;
  dryRun: boolean;
  /** --wait: how long to wait for another run holding the profile (default: fail at once). */
  waitSeconds?: number;
  /** --deploy-hook, stored with the subscription; false (--no-deploy-hook) clears it. */
  deployHook?: string | false;
  hookTimeoutSeconds: number;
}

export interface SubscriptionResult {
  created: boolean;
  id: string;
  collection: string;
  destinationUrl: string;
  /** Null only when an existing webhook's key is not held here. */
  key: string | null;
  validUntil: string;
  status: string;
  externalReferences: Array<{ collection: string; reference: string }>;
  renewAfter: string;
  /** Whether every hook (and the keys file) got the key; null when there is none to reach. */
  deployed: boolean | null;
  hookErrors: string[];
  /** Set by --dry-run when the real run would create nothing and return this existing one. */
  dryRun?: true;
}

export interface DryRunResult {
  dryRun: true;
  request: { method: 'POST'; url: string; query: Record<string, string>; body: { destinationUrl: string; collectionName: string } };
}

export type SubscribeResult = SubscriptionResult | DryRunResult;

export async function run(options: SubscribeOptions, ctx: Context): Promise<SubscribeResult> {
  const collection = checkCollection(options.collection);
  if (!options.url) throw usageError('missing-url', 'The destination URL is required.', 'Pass --url https://your-host/path.');
  const destinationUrl = checkUrl(options.url, '--url');
  const externalReferences = options.externalRefs.map(parseExternalReference);
  const client = await ctx.client();
  const wanted = { collection, destinationUrl, externalReferences };

  // A dry run takes no lock and writes nothing, but decides as the real run does, on the same list.
  const release = options.dryRun
    ? async () => undefined
    : await ctx.store.runLock(ctx.globals.profile, 'subscribe', {
        waitMs: (options.waitSeconds ?? 0) * 1000,
        onWait: (message) => ctx.log.info(message),
      });
  try {
    // Listed under the lock (a real run's): settles what an interrupted earlier run created, and
    // tells the new intent which webhooks to this destination already exist (never to be mistaken for ours).
    const list = await readList(ctx, client);
    const records = await settledRecords(ctx, list, options.dryRun);
    const found = findExisting(ctx, records, list, wanted);
    if (found.existing && !options.force) {
      if (options.dryRun) {
        if (options.deployHook !== undefined) ctx.log.info('A real run would also set its deploy hook as given.');
        return { ...found.existing, dryRun: true };
      }
      if (options.deployHook !== undefined) await setDeployHook(ctx, found.existing.id, options.deployHook || null);
      return found.existing;
    }
    if (!options.force) refuseDoubt(found, collection);
    if (options.dryRun) {
      for (const id of found.orphans) ctx.log.info(`A real run would then delete webhook ${id}, left without a key by an interrupted run.`);
      return dryRunRequest(client, wanted);
    }
    const orphans = found.orphans;
    const preexisting = preexistingIds(list, collection, destinationUrl);
    const record = await createAndStore(ctx, client, {
      kind: 'subscribe',
      collection,
      destinationUrl,
      externalReferences,
      replaces: null,
      preexisting,
      deployHook: options.deployHook || null,
      event: 'created',
      runLock: release,
    });
    if (!record.key) {
      throw failure(
        'no-key-in-answer',
        `Webhook ${record.id} was created, but Protime's answer held no key field we know (key, privateKey, webhookKey, secret).`,
        {
          hint: `The full answer is saved with the subscription in ${ctx.store.location}; look for the key there.`,
        },
      );
    }
    ctx.log.warn(`Protime shows this key only once. It is stored in ${ctx.store.location}; keep a copy in your secret manager.`);
    const deployment = await handOver(ctx, record, 'created', null, options.hookTimeoutSeconds);
    // Keyless leftovers of an interrupted subscribe to this destination are replaced by this one.
    for (const id of orphans) {
      if (!((await retire(ctx, client, id, { dropKey: true })) instanceof CliError))
        ctx.log.info(`Deleted webhook ${id}, left without a key by an interrupted run.`);
    }
    return toResult(record, true, deployment);
  } finally {
    await release();
  }
}

/** The profile's records the decision is made on: open intents settled against the list (by a dry run, in a copy). */
async function settledRecords(ctx: Context, list: WebhookList, dryRun: boolean): Promise<Record<string, SubscriptionRecord>> {
  const profile = ctx.globals.profile;
  if (dryRun) {
    const copy = structuredClone(await ctx.store.read());
    reconcile(copy, profile, list);
    return copy.subscriptions[profile] ?? {};
  }
  await settleIntents(ctx.store, profile, list);
  return (await ctx.store.read()).subscriptions[profile] ?? {};
}

/** Without --force, a subscription of ours to this destination that we cannot read, or one with other references, stops the create. */
function refuseDoubt(found: Found, collection: string): void {
  if (found.unreadable) {
    throw failure(
      'unreadable-webhook',
      `Subscription ${found.unreadable.id} already sends ${collection} to this URL, but Protime's list entry for it could not be read; not creating a second one.`,
      { hint: 'Pass --force to create another anyway; `protime-hooks status` shows it as unreadable meanwhile.' },
    );
  }
  if (found.conflict) {
    const theirs = found.conflict.externalReferences.map(([c, r]) => `${c},${r}`).join(' ') || 'none';
    throw usageError(
      'different-external-references',
      `Subscription ${found.conflict.id} already sends ${collection} to this URL, with other external references (${theirs}).`,
      'Pass --force to create a second subscription with these references, or unsubscribe the first.',
    );
  }
}

function dryRunRequest(client: ProtimeClient, wanted: Wanted): DryRunResult {
  const query: Record<string, string> =
    wanted.externalReferences.length > 0 ? { externalReferences: formatExternalReferences(wanted.externalReferences) } : {};
  return {
    dryRun: true,
    request: {
      method: 'POST',
      url: client.resolve('/webhooks'),
      query,
      body: { destinationUrl: wanted.destinationUrl, collectionName: wanted.collection },
    },
  };
}

interface Wanted {
  collection: string;
  destinationUrl: string;
  externalReferences: ExternalReference[];
}

interface Found {
  existing?: SubscriptionResult;
  /** Ours, with other external references. */
  conflict?: SubscriptionRecord;
  /** Ours by the record, but its item in the list could not be read. */
  unreadable?: SubscriptionRecord;
  orphans: string[];
}

/**
 * This profile's enabled, unexpired subscription of this collection to this destination with the
 * same external references, if any. One with other references is a conflict (a usage error unless
 * --force). Webhooks of other profiles or tools are not this profile's and never count; keyless
 * leftovers of our own interrupted creates do not either: a new subscription replaces them.
 */
function findExisting(ctx: Context, records: Record<string, SubscriptionRecord>, list: WebhookList, wanted: Wanted): Found {
  const now = ctx.now().getTime();
  const serving = list.webhooks.filter(
    (w) =>
      w.collectionName === wanted.collection &&
      w.status.toLowerCase() === 'enabled' &&
      Date.parse(w.validUntil) > now &&
      sameDestination(w.destinationUrl, wanted.destinationUrl),
  );
  const ours = serving.filter((w) => records[w.id] && isLive(records[w.id]!));
  if (serving.length > ours.length) {
    ctx.log.info(`Another profile or tool also sends ${wanted.collection} to this URL; that webhook is left alone.`);
  }
  const orphans = ours.filter((w) => records[w.id]!.adopted).map((w) => w.id);
  const kept = ours.filter((w) => !records[w.id]!.adopted);
  const match = kept.find((w) => sameReferences(records[w.id]!.externalReferences, wanted.externalReferences));
  if (!match) {
    // Ours by the record, unread on the server: it may well be serving this destination still.
    const unread = unreadableIds(list);
    const unreadable = liveRecords(records).find(
      (r) =>
        unread.has(r.id) && !r.adopted && r.collection === wanted.collection && sameDestination(r.destinationUrl, wanted.destinationUrl),
    );
    return { orphans, conflict: kept[0] ? records[kept[0].id] : undefined, unreadable };
  }
  const record = records[match.id]!;
  ctx.log.info(`A ${wanted.collection} subscription to this URL already exists; nothing was created (--force creates another).`);
  const validUntil = new Date(match.validUntil).toISOString();
  const existing: SubscriptionResult = {
    created: false,
    id: match.id,
    collection: wanted.collection,
    destinationUrl: match.destinationUrl,
    key: record.key,
    validUntil,
    status: match.status,
    externalReferences: referencesJson(record.externalReferences),
    renewAfter: renewAfterText(validUntil, record.createdAt),
    deployed: null,
    hookErrors: [],
  };
  return { existing, orphans };
}

/** The same pairs, in any order. */
function sameReferences(a: ExternalReference[], b: ExternalReference[]): boolean {
  const text = (pairs: ExternalReference[]) =>
    pairs
      .map(([collection, reference]) => `${collection}\u0000${reference}`)
      .sort()
      .join('\u0001');
  return text(a) === text(b);
}

/** The hook an existing subscription's later renewals will run (its current key is not handed over again). */
async function setDeployHook(ctx: Context, id: string, hook: string | null): Promise<void> {
  await ctx.store.update((data) => {
    const record = data.subscriptions[ctx.globals.profile]?.[id];
    if (record) record.deployHook = hook;
  });
  ctx.log.info(
    hook
      ? `Its renewals will run the deploy hook; \`renew ${id} --dry-run --run-deploy-hooks\` hands it the current key now.`
      : 'Its deploy hook was removed.',
  );
}

function toResult(record: SubscriptionRecord, created: boolean, deployment: Deployment): SubscriptionResult {
  return {
    created,
    id: record.id,
    collection: record.collection,
    destinationUrl: record.destinationUrl,
    key: record.key,
    validUntil: record.validUntil,
    status: record.status,
    externalReferences: referencesJson(record.externalReferences),
    renewAfter: renewAfterText(record.validUntil, record.createdAt),
    ...deployment,
  };
}

/** A key that did not reach every receiver fails the run (exit 1): the subscription is deploy-pending. */
export function exitKind(result: SubscribeResult): ExitKind {
  return 'deployed' in result && result.deployed === false ? 'failure' : 'ok';
}

export function render(result: SubscribeResult, view: View): string {
  if ('request' in result) {
    const query = new URLSearchParams(result.request.query).toString();
    return `${result.request.method} ${result.request.url}${query ? `?${query}` : ''}\n${JSON.stringify(result.request.body, null, 2)}\n`;
  }
  if (result.dryRun) return `already subscribed: ${result.id}\n`;
  const left = Math.floor((Date.parse(result.validUntil) - view.now.getTime()) / 1000);
  return fields([
    ['id', result.id],
    ['collection', result.collection],
    ['destination', result.destinationUrl],
    ['key', result.key ?? paint(view, 'yellow', '(not held here)')],
    ['valid until', `${result.validUntil} (${formatDuration(left)} left)`],
    ['renew after', result.renewAfter],
    ...(result.externalReferences.length > 0
      ? [['external refs', result.externalReferences.map((r) => `${r.collection},${r.reference}`).join(' ')] as [string, string]]
      : []),
  ]);
}
