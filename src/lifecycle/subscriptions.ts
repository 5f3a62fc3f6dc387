import type { ExternalReference } from '../protime/api.js';
import { COLLECTION_NAMES, isCollection, suggestCollection } from '../shared/collections.js';
import { usageError } from '../shared/errors.js';
import { isWebhookId, printable } from '../shared/names.js';
import type { SubscriptionRecord } from '../state/schemas.js';
import { renewAfter } from './renewal.js';

/** Validates a collection name, with a suggestion for typos. */
export function checkCollection(name: string): string {
  const collection = name.trim().toLowerCase();
  if (isCollection(collection)) return collection;
  const suggestion = suggestCollection(collection);
  throw usageError(
    'unknown-collection',
    `Unknown collection "${name}".${suggestion ? ` Did you mean "${suggestion}"?` : ''}`,
    `Valid collections: ${COLLECTION_NAMES.join(', ')}.`,
  );
}

/** A webhook id as given on the command line (see isWebhookId). */
export function checkWebhookId(id: string): string {
  if (isWebhookId(id)) return id;
  throw usageError('bad-id', `"${printable(id)}" is not a webhook id (see \`protime-hooks status\` for the ids).`);
}

/** `people,@employee-number` → ['people', '@employee-number']. */
export function parseExternalReference(text: string): ExternalReference {
  const match = /^\s*([^,()\s]+)\s*,\s*([^,()]+?)\s*$/.exec(text);
  if (!match) {
    throw usageError('bad-external-ref', `--external-ref takes <collection>,<reference> (e.g. people,@employee-number), not "${text}".`);
  }
  return [match[1]!, match[2]!];
}

/** Compares destinations the way a person would: scheme and host case, default ports and IDN forms do not matter. */
export function sameDestination(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return a === b;
  }
}

/** External references as JSON output shows them. */
export function referencesJson(pairs: ExternalReference[]) {
  return pairs.map(([collection, reference]) => ({ collection, reference }));
}

/** A record still in force: not deleted, not replaced by a newer webhook. */
export function isLive(record: Pick<SubscriptionRecord, 'deletedAt' | 'replacedBy'>): boolean {
  return !record.deletedAt && !record.replacedBy;
}

/** Records of a profile that are still in force. */
export function liveRecords(records: Record<string, SubscriptionRecord> | undefined): SubscriptionRecord[] {
  return Object.values(records ?? {}).filter(isLive);
}

/** When renewal becomes due, as ISO text; an unknown creation time means the default 7-day window. */
export function renewAfterText(validUntil: string, createdAt: string | undefined, windowSeconds?: number): string {
  return renewAfter(new Date(validUntil), createdAt ? new Date(createdAt) : undefined, windowSeconds).toISOString();
}
