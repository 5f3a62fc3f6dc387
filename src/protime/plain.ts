/**
 * The usual answers, checked without zod: loading zod and running it over a list of 1000
 * webhooks was a tenth of an online command's time. Each check accepts only what its schema in
 * schemas.ts accepts and gives what that schema's parse gives (known fields first, in the schema's
 * order, then the rest as they came); anything else is left to the schema, which says what is
 * wrong with it. test/protime/plain.test.ts holds the two to that.
 */

/** validUntil's rule: a date-time that parses, with an offset (Z or ±hh:mm). */
export function isIsoWithOffset(text: string): boolean {
  return !Number.isNaN(Date.parse(text)) && /T.*(Z|[+-]\d\d:?\d\d)$/i.test(text);
}

/** What webhookSchema's parse gives (the Webhook of schemas.ts, which imports this file). */
export interface PlainWebhook {
  id: string;
  validUntil: string;
  status: string;
  destinationUrl: string;
  collectionName: string;
  externalReferences?: unknown;
  [field: string]: unknown;
}

const WEBHOOK_FIELDS = new Set(['id', 'validUntil', 'status', 'destinationUrl', 'collectionName', 'externalReferences']);

/** webhookSchema's parse of an ordinary list item, or undefined: let the schema judge it. */
export function plainWebhook(item: unknown): PlainWebhook | undefined {
  if (!isPlainObject(item)) return undefined;
  const { id, validUntil, status, destinationUrl, collectionName } = item;
  if (typeof id !== 'string' || id === '' || typeof validUntil !== 'string' || !isIsoWithOffset(validUntil)) return undefined;
  if (typeof status !== 'string' || typeof destinationUrl !== 'string' || typeof collectionName !== 'string') return undefined;
  const webhook: Record<string, unknown> = { id, validUntil, status, destinationUrl, collectionName };
  if ('externalReferences' in item) webhook.externalReferences = item.externalReferences;
  for (const field of Object.keys(item)) {
    // A field that would set the copy's prototype: the schema's own way of copying decides.
    if (field === '__proto__') return undefined;
    if (!WEBHOOK_FIELDS.has(field)) webhook[field] = item[field];
  }
  return webhook as PlainWebhook;
}

/** webhookPageSchema's envelope (`value` a list, `nextLink` a string or none), or undefined. */
export function plainPage(data: unknown): { value: unknown[]; nextLink?: string | null } | undefined {
  if (!isPlainObject(data) || !Array.isArray(data.value)) return undefined;
  const { nextLink } = data;
  return nextLink === undefined || nextLink === null || typeof nextLink === 'string' ? { value: data.value, nextLink } : undefined;
}

/** What JSON.parse makes of `{...}`: no array, no class instance. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.getPrototypeOf(value) === Object.prototype;
}
