import type { IncomingMessage, ServerResponse } from 'node:http';
import { isCollection } from '../shared/collections.js';
import type { ChangeType } from './data.js';
import type { Deliverer } from './deliveries.js';
import { type FaultList, parseFault } from './faults.js';
import { HttpError, isPlainObject, readJsonObject, safeDecode, sendEmpty, sendJson } from './http.js';
import type { TokenIssuer } from './tokens.js';
import type { WebhookStore } from './webhooks.js';

export const CONTROL_PATH = '/_emulator';
/** Enough for any test or session; the oldest entries go first. */
const MAX_LOGGED_REQUESTS = 1000;
/** One call can emit this many events at most, so a typo cannot keep the emulator busy for hours. */
const MAX_EVENTS_PER_CALL = 10_000;

/** One API or token request as the control endpoint reports it. Never holds headers or bodies. */
export interface LoggedRequest {
  /** When the answer was sent (or the request dropped). */
  at: string;
  /** When the request came in: with `at`, how many were in flight at once. */
  receivedAt: string;
  method: string;
  path: string;
  /** The query string without `?`, values of secret-looking keys replaced by `***`. */
  query: string;
  /** null when the request was dropped by a fault. */
  status: number | null;
}

export class RequestLog {
  private entries: LoggedRequest[] = [];

  add(entry: LoggedRequest): void {
    this.entries.push(entry);
    if (this.entries.length > MAX_LOGGED_REQUESTS) this.entries.shift();
  }

  all(): LoggedRequest[] {
    return [...this.entries];
  }

  clear(): void {
    this.entries = [];
  }
}

/** Keeps the query readable for tests while making sure a secret pasted into a URL is not echoed. */
export function redactQuery(search: URLSearchParams): string {
  const parts: string[] = [];
  for (const [key, value] of search) {
    const shown = /secret|token|password|key|assertion/i.test(key) && key !== '$skiptoken' ? '***' : value;
    parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(shown)}`);
  }
  return parts.join('&');
}

export interface ControlContext {
  store: WebhookStore;
  tokens: TokenIssuer;
  deliverer: Deliverer;
  faults: FaultList;
  requests: RequestLog;
}

/** Answers `/_emulator/*`. The caller has already checked that the request comes from loopback. */
export async function handleControl(req: IncomingMessage, res: ServerResponse, url: URL, ctx: ControlContext): Promise<void> {
  const route = `${req.method ?? 'GET'} ${url.pathname.slice(CONTROL_PATH.length).replace(/\/$/, '')}`;
  const validUntil = /^POST \/webhooks\/([^/]+)\/valid-until$/.exec(route);
  if (validUntil) return moveValidUntil(req, res, safeDecode(validUntil[1]!), ctx);

  switch (route) {
    case 'GET /health':
      return sendJson(res, 200, { ok: true });
    case 'POST /events':
      return sendJson(res, 200, await ctx.deliverer.emit(parseEvents(await readJsonObject(req))));
    case 'GET /faults':
      return sendJson(res, 200, ctx.faults.list());
    case 'POST /faults': {
      const fault = parseFault(await readJsonObject(req));
      ctx.faults.add(fault);
      return sendJson(res, 201, fault);
    }
    case 'DELETE /faults':
      ctx.faults.clear();
      return sendEmpty(res, 204);
    case 'GET /requests':
      return sendJson(res, 200, ctx.requests.all());
    case 'DELETE /requests':
      ctx.requests.clear();
      return sendEmpty(res, 204);
    case 'POST /tokens/revoke':
      return sendJson(res, 200, { revoked: ctx.tokens.revokeAll() });
    case 'POST /client-secret': {
      const { clientSecret } = await readJsonObject(req);
      if (typeof clientSecret !== 'string' || clientSecret === '')
        throw new HttpError(400, 'BadRequest', 'clientSecret must be a non-empty string', []);
      ctx.tokens.rotateSecret(clientSecret);
      return sendEmpty(res, 204);
    }
    case 'GET /webhooks':
      return sendJson(
        res,
        200,
        ctx.store.all().map((webhook) => ({ ...webhook, status: ctx.store.statusOf(webhook) })),
      );
    default:
      throw new HttpError(404, 'NotFound', `No control endpoint ${route}`, [
        'known: GET health, POST events, GET|POST|DELETE faults, GET|DELETE requests, GET webhooks, POST webhooks/{id}/valid-until, POST tokens/revoke, POST client-secret',
      ]);
  }
}

function parseEvents(body: Record<string, unknown>): Parameters<Deliverer['emit']>[0] {
  const reasons: string[] = [];
  const { collectionName, changeType = 'InsertOrUpdate', data, count = 1 } = body;
  if (typeof collectionName !== 'string' || !isCollection(collectionName)) {
    reasons.push(`collectionName '${String(collectionName)}' is not a collection that supports webhooks`);
  }
  if (changeType !== 'InsertOrUpdate' && changeType !== 'Delete') reasons.push("changeType must be 'InsertOrUpdate' or 'Delete'");
  if (data !== undefined && !isPlainObject(data)) reasons.push('data must be a JSON object');
  if (!Number.isInteger(count) || (count as number) < 1 || (count as number) > MAX_EVENTS_PER_CALL) {
    reasons.push(`count must be an integer from 1 to ${MAX_EVENTS_PER_CALL}`);
  }
  if (reasons.length > 0) throw new HttpError(400, 'BadRequest', 'The events are not valid', reasons);
  return {
    collectionName: collectionName as string,
    changeType: changeType as ChangeType,
    count: count as number,
    ...(data === undefined ? {} : { data: data as Record<string, unknown> }),
  };
}

async function moveValidUntil(req: IncomingMessage, res: ServerResponse, id: string, ctx: ControlContext): Promise<void> {
  const { validUntil } = await readJsonObject(req);
  const when = typeof validUntil === 'string' ? new Date(validUntil) : undefined;
  if (!when || Number.isNaN(when.getTime())) {
    throw new HttpError(400, 'BadRequest', 'validUntil must be an ISO 8601 date-time', [`validUntil '${String(validUntil)}'`]);
  }
  const webhook = ctx.store.setValidUntil(id, when);
  if (!webhook) throw new HttpError(404, 'NotFound', `Webhook '${id}' was not found`, [`no webhook with id ${id}`]);
  sendJson(res, 200, ctx.store.toPublic(webhook));
}
