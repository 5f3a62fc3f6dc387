import { describeIssue } from '../shared/describe-issue.js';
import { failure, usageError } from '../shared/errors.js';
import { isWebhookId, printable } from '../shared/names.js';
import type { ProtimeClient } from './client.js';
import { plainPage, plainWebhook } from './plain.js';
import type { Webhook } from './schemas.js';

/**
 * The wire schemas, loaded with the first answer that plain.ts does not pass (or before a create):
 * a command that asks nothing (status --offline), or reads only ordinary lists, never loads zod.
 */
const wire = () => import('./schemas.js');

/** [collection, reference], e.g. ['people', '@employee-number']. */
export type ExternalReference = [string, string];

/** Protime's query form: `(people,@badge-number)(contracts,my-ref)`. */
export function formatExternalReferences(pairs: ExternalReference[]): string {
  return pairs.map(([collection, reference]) => `(${collection},${reference})`).join('');
}

/** Protime's undocumented 201 body: the key is taken from the first of these fields present. */
const KEY_FIELDS = ['key', 'privateKey', 'webhookKey', 'secret'] as const;

export interface CreatedWebhook {
  id: string;
  /** Null when no known key field was in the answer. */
  key: string | null;
  validUntil: string;
  status: string;
  /** The 201 body as received. */
  raw: unknown;
}

export class IncompleteCreateError extends Error {
  constructor(
    readonly raw: unknown,
    readonly problem: string,
  ) {
    super(problem);
  }
}

const WEBHOOKS_SCOPE_HINT =
  'The API client needs the connector-protimeapi-webhooks.read/.write scopes; run `protime-hooks login --scope ...` after they are granted.';

export async function createWebhook(
  client: ProtimeClient,
  input: { collection: string; destinationUrl: string; externalReferences: ExternalReference[] },
): Promise<CreatedWebhook> {
  // Loaded before the POST: nothing that can fail may stand between the answer and reading its key.
  const { createdWebhookSchema } = await wire();
  const response = await client.request({
    method: 'POST',
    path: '/webhooks',
    json: { destinationUrl: input.destinationUrl, collectionName: input.collection },
    query: input.externalReferences.length > 0 ? { externalReferences: formatExternalReferences(input.externalReferences) } : undefined,
    retry: 'create',
    purpose: 'creating the webhook',
    // The key's field name is undocumented: trace only fields known to hold no secret.
    traceOnly: ['id', 'validUntil', 'status', 'destinationUrl', 'collectionName', 'externalReferences', 'createdAt'],
    scopeHint: `Creating a ${input.collection} webhook likely also needs connector-protimeapi-${input.collection}.read: add it with \`protime-hooks login --scope connector-protimeapi-webhooks.read connector-protimeapi-webhooks.write connector-protimeapi-${input.collection}.read\`.`,
  });
  const raw = response.data;
  const parsed = createdWebhookSchema.safeParse(raw);
  if (!parsed.success) throw new IncompleteCreateError(raw, `the answer could not be read (${describeIssue(parsed.error)})`);
  const location = response.headers.get('location');
  // The body's id wins; the Location header is only the fallback.
  let id = parsed.data.id;
  if (!id && !location) throw new IncompleteCreateError(raw, 'the answer named no webhook id (no `id` field, no Location header)');
  id ??= idFromLocation(client, location as string, raw);
  const body = parsed.data as Record<string, unknown>;
  const keyField = KEY_FIELDS.find((field) => typeof body[field] === 'string' && body[field] !== '');
  return {
    id,
    key: keyField ? (body[keyField] as string) : null,
    validUntil: parsed.data.validUntil,
    status: parsed.data.status ?? 'Enabled',
    raw,
  };
}

/**
 * The id in a 201's Location, taken only from `<API root>/webhooks/<id>` on the API's origin: an id
 * from anywhere else would be recorded, renewed and deleted as ours without being ours.
 */
function idFromLocation(client: ProtimeClient, location: string, raw: unknown): string {
  const collection = new URL(client.resolve('/webhooks'));
  const said = `the answer had no \`id\` and its Location header (${printable(location).slice(0, 200)})`;
  let url: URL;
  try {
    url = new URL(location, collection);
  } catch {
    throw new IncompleteCreateError(raw, `${said} is not a URL`);
  }
  if (url.origin !== collection.origin)
    throw new IncompleteCreateError(raw, `${said} is on ${url.origin}, not on the API's origin ${collection.origin}`);
  const prefix = `${collection.pathname}/`;
  const segment = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : '';
  if (segment === '' || segment.includes('/')) throw new IncompleteCreateError(raw, `${said} does not name a webhook under ${prefix}`);
  let id = '';
  try {
    id = decodeURIComponent(segment);
  } catch {
    // A malformed escape (`%zz`) names no id: the check below says so.
  }
  if (!isWebhookId(id)) throw new IncompleteCreateError(raw, `${said} does not name a webhook id we accept`);
  return id;
}

/** A list item that did not pass webhookSchema: where it was, its id when it had a readable one, and why. */
export interface UnreadableWebhook {
  /** The item's `id` when it is a non-empty string (as received: escape it before printing), else null. */
  id: string | null;
  /** 1-based page of the list, and the item's index in that page's `value`. */
  page: number;
  index: number;
  problem: string;
}

export interface WebhookList {
  webhooks: Webhook[];
  /** Skipped items: one bad webhook must not hide the others, nor pass for absent. */
  unreadable: UnreadableWebhook[];
}

/**
 * Every webhook of the tenant, following nextLink (an empty page does not mean the end). A page
 * that is not a `{value: [...]}` envelope is a bad response; a bad item is skipped and reported.
 */
export async function listWebhooks(client: ProtimeClient, options: { filter?: string } = {}): Promise<WebhookList> {
  const all: Webhook[] = [];
  const unreadable: UnreadableWebhook[] = [];
  const seen = new Set<string>();
  let next: string | undefined = '/webhooks';
  let query: Record<string, string> | undefined = options.filter ? { filter: options.filter } : undefined;
  while (next) {
    // A server that hands back a link it already gave would otherwise loop forever. Compared as
    // resolved URLs: the first page is '/webhooks' + query, a nextLink back to it is absolute.
    const key = pageKey(client, next, query);
    if (seen.has(key) || seen.size >= 1000)
      throw failure('paging-loop', `Protime's webhook list did not end (nextLink ${next} repeats or exceeds 1000 pages).`);
    seen.add(key);
    const response = await client.request({
      method: 'GET',
      path: next,
      query,
      retry: 'idempotent',
      purpose: 'listing webhooks',
      scopeHint: WEBHOOKS_SCOPE_HINT,
    });
    let page = plainPage(response.data);
    if (!page) {
      const parsed = (await wire()).webhookPageSchema.safeParse(response.data);
      if (!parsed.success) throw badResponse('GET /webhooks', describeIssue(parsed.error));
      page = parsed.data;
    }
    for (const [index, item] of page.value.entries()) {
      const plain = plainWebhook(item);
      if (plain) {
        all.push(plain);
        continue;
      }
      const parsed = (await wire()).webhookSchema.safeParse(item);
      if (parsed.success) all.push(parsed.data);
      // seen holds one entry per page read so far: its size is this page's number.
      else unreadable.push({ id: idOf(item), page: seen.size, index, problem: describeIssue(parsed.error) });
    }
    next = page.nextLink ?? undefined;
    query = undefined; // nextLink carries its own query.
  }
  return { webhooks: all, unreadable };
}

function idOf(item: unknown): string | null {
  const id = (item as { id?: unknown } | null)?.id;
  return typeof id === 'string' && id !== '' ? id : null;
}

/** One spelling per page (absolute, query decoded and re-encoded), whatever form the link had. */
function pageKey(client: ProtimeClient, path: string, query: Record<string, string> | undefined): string {
  const url = new URL(client.resolve(path));
  const params = new URLSearchParams(url.search);
  for (const [name, value] of Object.entries(query ?? {})) params.set(name, value);
  url.search = params.toString();
  return url.href;
}

export async function getWebhook(client: ProtimeClient, id: string): Promise<Webhook> {
  const response = await client.request({
    method: 'GET',
    path: webhookPath(id),
    retry: 'idempotent',
    purpose: `reading webhook ${id}`,
    scopeHint: WEBHOOKS_SCOPE_HINT,
  });
  const plain = plainWebhook(response.data);
  if (plain) return plain;
  const parsed = (await wire()).webhookSchema.safeParse(response.data);
  if (!parsed.success) throw badResponse(`GET /webhooks/${id}`, describeIssue(parsed.error));
  return parsed.data;
}

export async function deleteWebhook(client: ProtimeClient, id: string): Promise<void> {
  await client.request({
    method: 'DELETE',
    path: webhookPath(id),
    retry: 'idempotent',
    purpose: `deleting webhook ${id}`,
    scopeHint: WEBHOOKS_SCOPE_HINT,
  });
}

/** `/webhooks/<id>`: an empty or dot-segment id would address the list or the API root instead. */
function webhookPath(id: string): string {
  if (id === '' || id === '.' || id === '..') throw usageError('bad-webhook-id', `"${id}" is not a webhook id.`);
  return `/webhooks/${encodeURIComponent(id)}`;
}

function badResponse(what: string, issue: string) {
  return failure('bad-response', `Unexpected answer to ${what}: ${issue}.`, {
    hint: 'Check --api-url points at the Protime API root (…/connector/protimeapi/api/v1).',
  });
}
