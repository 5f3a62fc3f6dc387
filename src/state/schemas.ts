import { z } from 'zod';
import { ENVIRONMENTS } from '../shared/hosts.js';

// Loose like the rest of the store: a field a newer version adds survives this version's writes.
const tokenSchema = z.looseObject({ accessToken: z.string(), expiresAt: z.string(), scopes: z.array(z.string()) });

export const profileSchema = z.looseObject({
  tenant: z.string(),
  environment: z.enum(ENVIRONMENTS),
  apiUrl: z.string(),
  tokenUrl: z.string(),
  clientId: z.string(),
  userAgent: z.string().nullable(),
  scopes: z.array(z.string()),
  createdAt: z.string(),
  clientSecret: z.string().optional(),
  token: tokenSchema.optional(),
  /** Where the keys a receiver must accept are kept up to date (login --keys-file). */
  keysFile: z.string().nullable().optional(),
  /** The keys file's mode, e.g. 0o640 for a receiver in the group; 0o600 when absent. */
  keysFileMode: z.number().int().min(0).max(0o777).optional(),
  /** PEM certificates trusted besides Node's roots for this profile's requests (login --ca-file). */
  caFile: z.string().nullable().optional(),
  /**
   * How the client authenticates to the token endpoint: `post` (also when absent: files before 0.2)
   * or `basic`. Any text is read, so a method a newer version adds does not make the file unreadable;
   * using the profile then says it is unknown.
   */
  tokenAuth: z.string().optional(),
});
export type ProfileEntry = z.infer<typeof profileSchema>;

export const subscriptionRecordSchema = z.looseObject({
  id: z.string(),
  collection: z.string(),
  destinationUrl: z.string(),
  /** [collection, reference] pairs, in the order given. */
  externalReferences: z.array(z.tuple([z.string(), z.string()])),
  /** The private webhook key; null when Protime's answer held none we could find. */
  key: z.string().nullable(),
  validUntil: z.string(),
  createdAt: z.string(),
  status: z.string(),
  /** The 201 body as received, kept in case the key sits in a field we did not know. */
  raw: z.unknown(),
  /** Deleted on the server (unsubscribed, or replaced and cleaned up); kept for the audit trail. */
  deletedAt: z.string().nullable().optional(),
  /** The webhook that replaced this one. Until deletedAt is set, its delete is still owed. */
  replacedBy: z.string().nullable().optional(),
  /**
   * Failed attempts at the owed delete of this replaced webhook, since the first failure, and the
   * time before which no run tries again (backoff). All four are removed once the delete succeeds.
   */
  deleteFailures: z.number().int().min(0).optional(),
  deleteFailingSince: z.string().optional(),
  nextDeleteAt: z.string().optional(),
  /** The last failure's message (a CliError's: redacted, never a response body). */
  lastDeleteError: z.string().optional(),
  /** Replaced with --keep-old: left to expire on the server instead of being deleted. */
  keepOld: z.boolean().optional(),
  /** Found on the server for an interrupted create of ours: its key was lost, renew replaces it. */
  adopted: z.boolean().optional(),
  /** Run with the new key after every create of this subscription (`/bin/sh -c`); inherited by renewals. */
  deployHook: z.string().nullable().optional(),
  /**
   * Set in the same write that stores the key, when hooks are to run; cleared once every hook
   * succeeded. While set, the webhook this one replaces is kept (its key still accepted).
   */
  deployPending: z
    .looseObject({
      event: z.enum(['created', 'renewed', 'recreated']),
      previousId: z.string().nullable(),
      since: z.string(),
      errors: z.array(z.string()).optional(),
    })
    .nullable()
    .optional(),
});

/**
 * A write-ahead record of a create: written before the POST, removed once the answer (and key) is
 * stored. One left open means the process died or lost the answer; reconciliation then looks for
 * the webhook it may have created.
 */
export const intentSchema = z.looseObject({
  id: z.string(),
  kind: z.enum(['subscribe', 'renew']),
  collection: z.string(),
  destinationUrl: z.string(),
  externalReferences: z.array(z.tuple([z.string(), z.string()])),
  startedAt: z.string(),
  /** The webhook a renewal replaces. */
  replaces: z.string().nullable(),
  /** Webhooks of the same collection and destination that existed before the POST: never adopted. */
  preexisting: z.array(z.string()).optional(),
  pid: z.number(),
  host: z.string(),
});
export type Intent = z.infer<typeof intentSchema>;
export type SubscriptionRecord = z.infer<typeof subscriptionRecordSchema>;

/** How a profile's renewals have gone, for monitoring (metrics) and people (status). */
export const renewRunSchema = z.looseObject({
  lastRunAt: z.string(),
  lastSuccessAt: z.string().nullable(),
  consecutiveFailures: z.number().int().min(0),
});
export type RenewRun = z.infer<typeof renewRunSchema>;

export { PLAIN_STORE_VERSION, SEALED_STORE_VERSION, STORE_VERSION } from './versions.js';

export const storeSchema = z.looseObject({
  schemaVersion: z.number().int(),
  profiles: z.record(z.string(), profileSchema),
  subscriptions: z.record(z.string(), z.record(z.string(), subscriptionRecordSchema)),
  /** Open create intents per profile (absent in files written before the journal existed). */
  intents: z.record(z.string(), z.array(intentSchema)).optional(),
  /** The last renew of each profile (absent before 0.2). */
  renewRuns: z.record(z.string(), renewRunSchema).optional(),
});
export type StoreData = z.infer<typeof storeSchema>;
