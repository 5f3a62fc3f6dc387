import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { describeIssue } from '../shared/describe-issue.js';
import { usageError } from '../shared/errors.js';
import { isProfileName, isWebhookId, printable } from '../shared/names.js';
import {
  type Intent,
  intentSchema,
  type ProfileEntry,
  profileSchema,
  type RenewRun,
  renewRunSchema,
  type StoreData,
  type SubscriptionRecord,
  subscriptionRecordSchema,
} from './schemas.js';

/** The `format` of a `store export` document: what `store import` accepts, from any backend. */
export const EXPORT_FORMAT = 'protime-hooks-state';
export const EXPORT_FORMAT_VERSION = 1;

/**
 * The whole state as one JSON document. Without secrets, every client secret, cached token, webhook
 * key and create answer is `null` (and `secrets` says `omitted`).
 */
export interface ExportDocument {
  format: typeof EXPORT_FORMAT;
  formatVersion: typeof EXPORT_FORMAT_VERSION;
  exportedAt: string;
  /** The store it came from (a file path, or a database without its password). */
  source: string;
  secrets: 'included' | 'omitted';
  profiles: Record<string, unknown>;
  subscriptions: Record<string, Record<string, unknown>>;
  intents: Record<string, Intent[]>;
  renewRuns: Record<string, RenewRun>;
  unreadableAnswers: unknown[];
}

export function exportDocument(data: StoreData, options: { includeSecrets: boolean; source: string; now: Date }): ExportDocument {
  const copy = structuredClone(data);
  const omit = !options.includeSecrets;
  const profiles: Record<string, unknown> = {};
  for (const [name, profile] of Object.entries(copy.profiles)) {
    profiles[name] = omit
      ? { ...profile, clientSecret: profile.clientSecret === undefined ? undefined : null, token: profile.token && null }
      : profile;
  }
  const subscriptions: Record<string, Record<string, unknown>> = {};
  for (const [profile, records] of Object.entries(copy.subscriptions)) {
    subscriptions[profile] = Object.fromEntries(
      Object.entries(records).map(([id, record]) => [id, omit ? { ...record, key: null, raw: null } : record]),
    );
  }
  const answers = (copy as { unreadableAnswers?: unknown }).unreadableAnswers;
  return {
    format: EXPORT_FORMAT,
    formatVersion: EXPORT_FORMAT_VERSION,
    exportedAt: options.now.toISOString(),
    source: options.source,
    secrets: omit ? 'omitted' : 'included',
    profiles,
    subscriptions,
    intents: copy.intents ?? {},
    renewRuns: copy.renewRuns ?? {},
    unreadableAnswers: (Array.isArray(answers) ? answers : []).map((answer) =>
      omit && answer && typeof answer === 'object' ? { ...answer, body: null } : answer,
    ),
  };
}

const documentSchema = z.looseObject({
  format: z.literal(EXPORT_FORMAT),
  formatVersion: z.literal(EXPORT_FORMAT_VERSION),
  secrets: z.enum(['included', 'omitted']),
  profiles: z.record(z.string(), z.looseObject({ clientSecret: z.string().nullable().optional(), token: z.unknown().optional() })),
  subscriptions: z.record(z.string(), z.record(z.string(), subscriptionRecordSchema)),
  intents: z.record(z.string(), z.array(intentSchema)).optional(),
  renewRuns: z.record(z.string(), renewRunSchema).optional(),
  unreadableAnswers: z.array(z.unknown()).optional(),
});

/** What an import brings, checked: profiles as the store keeps them (an omitted secret is absent). */
export interface ImportInput {
  secrets: 'included' | 'omitted';
  profiles: Record<string, ProfileEntry>;
  subscriptions: Record<string, Record<string, SubscriptionRecord>>;
  intents: Record<string, Intent[]>;
  renewRuns: Record<string, RenewRun>;
  unreadableAnswers: unknown[];
}

/** Parses and checks an export document; anything else is `bad-import` (exit 2), naming what is wrong. */
export function parseExport(text: string, source: string): ImportInput {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw badImport(source, 'it is not JSON');
  }
  if ((raw as { format?: unknown } | null)?.format !== EXPORT_FORMAT) {
    throw badImport(source, `it is not a \`protime-hooks store export\` document (no "format": "${EXPORT_FORMAT}")`);
  }
  // Checked on the parsed JSON itself: a `__proto__` key must be refused, not quietly lost on the way.
  const sections = raw as Record<string, unknown>;
  for (const section of ['profiles', 'subscriptions', 'intents', 'renewRuns']) {
    const value = sections[section];
    for (const name of value && typeof value === 'object' ? Object.keys(value) : []) {
      if (!isProfileName(name)) {
        throw badImport(source, `"${printable(name)}" in ${section} is not a profile name`);
      }
      const records = section === 'subscriptions' ? (value as Record<string, unknown>)[name] : undefined;
      for (const id of records && typeof records === 'object' ? Object.keys(records) : []) {
        if (!isWebhookId(id)) throw badImport(source, `"${printable(id)}" in the subscriptions of "${name}" is not a webhook id`);
      }
    }
  }
  const parsed = documentSchema.safeParse(raw);
  if (!parsed.success) throw badImport(source, describeIssue(parsed.error));
  const doc = parsed.data;
  const profiles: Record<string, ProfileEntry> = {};
  for (const [name, entry] of Object.entries(doc.profiles)) {
    const { clientSecret, token, ...rest } = entry;
    const result = profileSchema.safeParse({
      ...rest,
      ...(clientSecret == null ? {} : { clientSecret }),
      ...(token == null ? {} : { token }),
    });
    if (!result.success) throw badImport(source, `profile "${name}": ${describeIssue(result.error)}`);
    profiles[name] = result.data;
  }
  for (const [profile, records] of Object.entries(doc.subscriptions)) {
    for (const [id, record] of Object.entries(records)) {
      if (!isWebhookId(id) || record.id !== id)
        throw badImport(source, `profile "${profile}" has a record filed as "${printable(id)}" whose id is "${printable(record.id)}"`);
    }
  }
  return {
    secrets: doc.secrets,
    profiles,
    subscriptions: doc.subscriptions,
    intents: doc.intents ?? {},
    renewRuns: doc.renewRuns ?? {},
    unreadableAnswers: doc.unreadableAnswers ?? [],
  };
}

function badImport(source: string, problem: string) {
  return usageError(
    'bad-import',
    `Cannot import ${source}: ${problem}.`,
    'Give it a document written by `protime-hooks store export`. Nothing was imported.',
  );
}

export type RecordKind = 'profile' | 'subscription' | 'intent' | 'renewRun';

/** One record of the document, named. */
export interface RecordRef {
  kind: RecordKind;
  profile: string;
  /** The subscription's or intent's id; null for a profile and its renew record. */
  id: string | null;
}

export interface ImportReport {
  /** Records added to the store. */
  imported: RecordRef[];
  /** Records the store already held exactly so: nothing to do. */
  unchanged: RecordRef[];
  /** Records the store holds otherwise: left as they are, never overwritten. */
  skipped: (RecordRef & { reason: string })[];
  /** Profiles imported without their client secret: they need `login` again. */
  needLogin: string[];
  /** Subscriptions imported without their key: `renew` replaces them with ones whose key is held. */
  withoutKey: number;
  unreadableAnswers: number;
}

/**
 * Loads `input` into `data` (in place, for one store update): a record the store lacks is added,
 * one it holds identically is left alone, one it holds otherwise is skipped and reported, never
 * overwritten. Cached tokens never count as a difference (they are a cache), nor, when the
 * document omits secrets, secrets.
 */
export function importInto(data: StoreData, input: ImportInput): ImportReport {
  const report: ImportReport = { imported: [], unchanged: [], skipped: [], needLogin: [], withoutKey: 0, unreadableAnswers: 0 };
  const omitted = input.secrets === 'omitted';
  const merge = <T>(ref: RecordRef, current: T | undefined, incoming: T, ignore: string[], add: () => void) => {
    if (current === undefined) {
      add();
      report.imported.push(ref);
      return;
    }
    const fields = differingFields(current, incoming, ignore);
    if (fields.length === 0) report.unchanged.push(ref);
    else report.skipped.push({ ...ref, reason: `differs from the one in this store (${fields.join(', ')})` });
  };

  for (const [name, profile] of Object.entries(input.profiles)) {
    merge(
      { kind: 'profile', profile: name, id: null },
      data.profiles[name],
      profile,
      omitted ? ['token', 'clientSecret'] : ['token'],
      () => {
        data.profiles[name] = profile;
        if (profile.clientSecret === undefined) report.needLogin.push(name);
      },
    );
  }
  for (const [profile, records] of Object.entries(input.subscriptions)) {
    for (const [id, record] of Object.entries(records)) {
      merge({ kind: 'subscription', profile, id }, data.subscriptions[profile]?.[id], record, omitted ? ['key', 'raw'] : [], () => {
        data.subscriptions[profile] ??= {};
        data.subscriptions[profile][id] = record;
        if (record.key === null && !record.deletedAt) report.withoutKey++;
      });
    }
  }
  for (const [profile, intents] of Object.entries(input.intents)) {
    for (const intent of intents) {
      const current = data.intents?.[profile]?.find((i) => i.id === intent.id);
      merge({ kind: 'intent', profile, id: intent.id }, current, intent, [], () => {
        data.intents ??= {};
        data.intents[profile] = [...(data.intents[profile] ?? []), intent];
      });
    }
  }
  for (const [profile, runs] of Object.entries(input.renewRuns)) {
    merge({ kind: 'renewRun', profile, id: null }, data.renewRuns?.[profile], runs, [], () => {
      data.renewRuns ??= {};
      data.renewRuns[profile] = runs;
    });
  }
  const extra = data as { unreadableAnswers?: unknown[] };
  for (const answer of input.unreadableAnswers) {
    if ((extra.unreadableAnswers ?? []).some((known) => isDeepStrictEqual(known, answer))) continue;
    extra.unreadableAnswers = [...(extra.unreadableAnswers ?? []), answer];
    report.unreadableAnswers++;
  }
  return report;
}

/** The top-level fields in which two records differ, `ignore` left out. */
function differingFields(a: unknown, b: unknown, ignore: string[]): string[] {
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const names = new Set([...Object.keys(left), ...Object.keys(right)]);
  return [...names].filter((name) => !ignore.includes(name) && !isDeepStrictEqual(left[name], right[name])).sort();
}
