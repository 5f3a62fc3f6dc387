import type { Context } from '../context.js';
import { createWebhook, IncompleteCreateError } from '../protime/api.js';
import type { ProtimeClient } from '../protime/client.js';
import { CliError, failure } from '../shared/errors.js';
import { closeIntent, closeIntents, commitCreate, type IntentInput, openIntents } from '../state/journal.js';
import type { Intent, SubscriptionRecord } from '../state/schemas.js';
import type { Release } from '../state/store.js';
import { handoverNeeded } from './deploy.js';
import { keysFileOf } from './keys.js';
import { type Send, sendNow } from './slots.js';

export interface CreateInput extends IntentInput {
  keepOld?: boolean;
  /** The subscription's deploy hook, stored with the new record (null: none). */
  deployHook: string | null;
  /** What the hooks will be told happened. */
  event: 'created' | 'renewed' | 'recreated';
  /** The profile's run lock: a create whose lock was lost is not sent (another run may hold the profile). */
  runLock?: Release;
  /** Sends the POST when a request slot is free (renew's --concurrency); at once without. */
  send?: Send;
}

/**
 * The one way a webhook is created (subscribe and renew): intent written first, POST, then the
 * record with its key, the intent closed and the replaced webhook marked, in one durable write
 * before the caller prints anything. A create whose outcome is unknown leaves its intent open for
 * reconciliation. When the key has receivers to reach (hooks, a keys file), the same write marks
 * it deploy-pending, so a run killed before they have it is finished by the next renew.
 */
export async function createAndStore(
  ctx: Context,
  client: ProtimeClient,
  input: CreateInput,
  /** An intent already durable for this create (openIntents), and whether the profile has a keys file. */
  opened?: OpenedIntent,
): Promise<SubscriptionRecord> {
  const profile = ctx.globals.profile;
  // Decided before the POST: nothing that can fail may stand between the answer and its durable write.
  const { intent, keysFile } = opened ?? (await openCreates(ctx, [input]))[0]!;
  const pending = handoverNeeded(ctx, keysFile, { deployHook: input.deployHook });
  let sent = false;
  let webhook: Awaited<ReturnType<typeof createWebhook>>;
  try {
    webhook = await (input.send ?? sendNow)(async () => {
      // Asked once the slot is had, right before sending: the wait for a slot may outlast the lock.
      const lost = input.runLock?.lost?.();
      if (lost) throw lost;
      sent = true;
      return await createWebhook(client, input);
    });
  } catch (error) {
    if (!sent) {
      // Nothing sent (the lock lost, or the caller's run stopped meanwhile): nothing to look for.
      await closeIntent(ctx.store, profile, intent.id).catch(() => undefined);
      throw error;
    }
    if (error instanceof IncompleteCreateError) throw await keepUnreadable(ctx, error);
    // A refusal (4xx, or 429/503 which mean "not done") created nothing; anything else may have.
    if (error instanceof CliError && error.status !== null && (error.status < 500 || error.status === 503)) {
      await closeIntent(ctx.store, profile, intent.id);
    }
    throw error;
  }
  ctx.scrubber.add(webhook.key, { data: true });
  const record: SubscriptionRecord = {
    id: webhook.id,
    collection: input.collection,
    destinationUrl: input.destinationUrl,
    externalReferences: input.externalReferences,
    key: webhook.key,
    validUntil: new Date(webhook.validUntil).toISOString(),
    createdAt: serverCreatedAt(webhook.raw) ?? intent.startedAt,
    status: webhook.status,
    raw: webhook.raw,
    deployHook: input.deployHook,
  };
  if (pending) {
    record.deployPending = { event: input.event, previousId: input.replaces, since: ctx.now().toISOString() };
  }
  const replaced = input.replaces ? { id: input.replaces, keepOld: Boolean(input.keepOld), at: ctx.now().toISOString() } : undefined;
  try {
    await commitCreate(ctx.store, profile, intent.id, record, replaced);
  } catch (error) {
    throw keyNotStored(record, input.replaces, error);
  }
  return record;
}

export interface OpenedIntent {
  intent: Intent;
  keysFile: boolean;
}

/**
 * Opens the intents of creates in one durable write (all of a renew's replacements), each for
 * createAndStore; whether the profile has a keys file is read from the state they go into (a read
 * of its own would parse the store again).
 */
export async function openCreates(ctx: Context, inputs: IntentInput[]): Promise<OpenedIntent[]> {
  const profile = ctx.globals.profile;
  let keysFile = false;
  const intents = await openIntents(ctx.store, profile, inputs, ctx.now(), (data) => {
    keysFile = keysFileOf(ctx, data.profiles[profile]) !== undefined;
  });
  return intents.map((intent) => ({ intent, keysFile }));
}

/** Closes opened intents whose create was never started (their POST never sent). */
export function closeUnsent(ctx: Context, opened: OpenedIntent[]): Promise<void> {
  return closeIntents(
    ctx.store,
    ctx.globals.profile,
    opened.map((o) => o.intent.id),
  );
}

/**
 * The webhook exists and its key was shown once, but the store refused it (disk full, permissions,
 * a database gone). Said exactly, never as "a bug": the intent stays open, so once the store can be
 * written again the next command records the webhook and renew replaces it; a replaced webhook is
 * left alone meanwhile, so no delivery is lost. A store that was only out of reach (a database
 * restarting) keeps its exit 75: the next run settles it with nobody's help; a refusal (a full
 * disk, a denied write) needs a person (exit 1).
 */
export function keyNotStored(
  record: Pick<SubscriptionRecord, 'id' | 'collection' | 'destinationUrl'>,
  replaces: string | null,
  error: unknown,
): CliError {
  const reason = error instanceof CliError ? error.message : (error as Error).message;
  const kind = error instanceof CliError && error.kind === 'temporary' ? 'temporary' : 'failure';
  return new CliError(
    kind,
    `Webhook ${record.id} (${record.collection} → ${record.destinationUrl}) was created on Protime, but its key could not be stored: ${reason}`,
    {
      code: 'key-not-stored',
      hint: `The webhook is not lost: once the store can be written again, \`protime-hooks status\` records the webhook and \`protime-hooks renew\` replaces it with one whose key is kept${replaces ? `; ${replaces} keeps delivering until then` : ''}.`,
      cause: error,
    },
  );
}

function serverCreatedAt(raw: unknown): string | undefined {
  const value = (raw as { createdAt?: unknown } | null)?.createdAt;
  return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? new Date(value).toISOString() : undefined;
}

/** An answer we could not read may still hold the key: keep it where the user can find it. */
async function keepUnreadable(ctx: Context, error: IncompleteCreateError): Promise<CliError> {
  await ctx.store.update((data) => {
    const extra = data as { unreadableAnswers?: unknown[] };
    extra.unreadableAnswers ??= [];
    extra.unreadableAnswers.push({ profile: ctx.globals.profile, receivedAt: ctx.now().toISOString(), body: error.raw });
  });
  return failure('unreadable-create-answer', `Protime created the webhook, but ${error.problem}.`, {
    hint: `The answer is saved under "unreadableAnswers" in ${ctx.store.location}; run \`protime-hooks status\` to see the webhook.`,
  });
}
