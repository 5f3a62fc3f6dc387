import type { IncomingMessage, ServerResponse } from 'node:http';
import { isCollection } from '../shared/collections.js';
import { parseExternalReferences } from './external-references.js';
import { FilterError, type Predicate, parseFilter } from './filter.js';
import { HttpError, readJsonObject, requestOrigin, safeDecode, sendEmpty, sendJson } from './http.js';
import { type TokenIssuer, WEBHOOKS_READ_SCOPE, WEBHOOKS_WRITE_SCOPE } from './tokens.js';
import type { PublicWebhook, StoredWebhook, WebhookStore } from './webhooks.js';

export const API_PATH = '/connector/protimeapi/api/v1';

export interface ApiContext {
  /** The origin the emulator listens on, used when a request names none (no Host header). */
  url: string;
  tokens: TokenIssuer;
  store: WebhookStore;
  pageSize: number;
}

/** Answers everything under API_PATH. Checks run in the order 401, 400 (User-Agent), 404/405, 403. */
export async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL, ctx: ApiContext): Promise<void> {
  const check = ctx.tokens.verify(req.headers.authorization);
  if ('problem' in check) {
    throw new HttpError(401, 'Unauthorized', check.problem, ['fetch a new token from the token endpoint'], {
      'WWW-Authenticate': 'Bearer error="invalid_token"',
    });
  }
  if (!req.headers['user-agent']?.trim()) {
    throw new HttpError(400, 'BadRequest', 'The User-Agent header is required', ['send User-Agent: ServiceName/Version (Company)']);
  }

  const method = req.method ?? 'GET';
  const route = /^\/webhooks(?:\/([^/]+))?\/?$/.exec(url.pathname.slice(API_PATH.length));
  if (!route) throw new HttpError(404, 'NotFound', `No resource at ${url.pathname}`, ['the emulator only serves /webhooks']);
  const id = route[1] === undefined ? undefined : safeDecode(route[1]);
  const allowed = id === undefined ? ['GET', 'POST'] : ['GET', 'DELETE'];
  if (!allowed.includes(method)) {
    throw new HttpError(405, 'MethodNotAllowed', `${method} is not allowed here`, [], { Allow: allowed.join(', ') });
  }

  const scope = method === 'GET' ? WEBHOOKS_READ_SCOPE : WEBHOOKS_WRITE_SCOPE;
  if (!check.token.scopes.has(scope)) {
    throw new HttpError(403, 'Forbidden', `The token lacks the scope ${scope}`, [`missing scope: ${scope}`]);
  }

  // Links point where the client reached us: behind a TLS proxy that is the proxy, not 127.0.0.1.
  const apiUrl = `${requestOrigin(req, ctx.url)}${API_PATH}`;
  if (id === undefined) {
    if (method === 'POST') return createWebhook(req, res, url, apiUrl, ctx);
    return listWebhooks(res, url, apiUrl, ctx);
  }
  const webhook = ctx.store.get(id);
  if (!webhook) throw new HttpError(404, 'NotFound', `Webhook '${id}' was not found`, [`no webhook with id ${id}`]);
  if (method === 'GET') return sendJson(res, 200, ctx.store.toPublic(webhook));
  // Soft delete: the webhook stays listed as Disabled and gets no more deliveries.
  ctx.store.disable(webhook.id, 'Deleted');
  sendEmpty(res, 204);
}

async function createWebhook(req: IncomingMessage, res: ServerResponse, url: URL, apiUrl: string, ctx: ApiContext): Promise<void> {
  const body = await readJsonObject(req);
  const reasons: string[] = [];
  const { destinationUrl, collectionName } = body;
  if (typeof destinationUrl !== 'string' || destinationUrl.trim() === '') reasons.push('destinationUrl is required');
  else if (!isHttpUrl(destinationUrl)) reasons.push(`destinationUrl '${destinationUrl}' is not an absolute http or https URL`);
  if (typeof collectionName !== 'string' || collectionName.trim() === '') reasons.push('collectionName is required');
  else if (!isCollection(collectionName)) reasons.push(`collectionName '${collectionName}' is not a collection that supports webhooks`);

  let externalReferences: Record<string, string> = {};
  const referencesText = url.searchParams.get('externalReferences');
  if (referencesText !== null) {
    try {
      externalReferences = parseExternalReferences(referencesText);
    } catch (error) {
      reasons.push((error as Error).message);
    }
  }
  if (reasons.length > 0) throw new HttpError(400, 'BadRequest', 'The webhook could not be created', reasons);

  const webhook = ctx.store.create({
    destinationUrl: destinationUrl as string,
    collectionName: collectionName as string,
    externalReferences,
  });
  sendJson(res, 201, createdBody(ctx, webhook), { Location: `${apiUrl}/webhooks/${webhook.id}` });
}

/** The only response that carries the key: it cannot be fetched again. */
function createdBody(ctx: ApiContext, webhook: StoredWebhook): Record<string, unknown> {
  const { id, ...rest } = ctx.store.toPublic(webhook);
  return { id, key: webhook.key, ...rest };
}

function listWebhooks(res: ServerResponse, url: URL, apiUrl: string, ctx: ApiContext): void {
  const filterText = url.searchParams.get('filter') ?? url.searchParams.get('$filter');
  let matches: Predicate = () => true;
  if (filterText !== null) {
    try {
      matches = parseFilter(filterText);
    } catch (error) {
      if (!(error instanceof FilterError)) throw error;
      throw new HttpError(400, 'BadRequest', 'The filter is not valid', [error.message]);
    }
  }
  const skipText = url.searchParams.get('$skiptoken') ?? '0';
  if (!/^\d{1,9}$/.test(skipText)) throw new HttpError(400, 'BadRequest', 'The $skiptoken is not valid', [`$skiptoken '${skipText}'`]);
  const skip = Number(skipText);

  const all = ctx.store
    .all()
    .map((webhook) => ctx.store.toPublic(webhook))
    .filter((webhook) => matches({ ...webhook }));
  const body: { value: PublicWebhook[]; nextLink?: string } = { value: all.slice(skip, skip + ctx.pageSize) };
  if (skip + ctx.pageSize < all.length) {
    // Built by hand: URLSearchParams would turn `$skiptoken` into `%24skiptoken`.
    const filterPart = filterText === null ? '' : `filter=${encodeURIComponent(filterText)}&`;
    body.nextLink = `${apiUrl}/webhooks?${filterPart}$skiptoken=${skip + ctx.pageSize}`;
  }
  sendJson(res, 200, body);
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}
