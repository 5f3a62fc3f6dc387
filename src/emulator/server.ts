import type { IncomingMessage, ServerResponse } from 'node:http';
import { API_PATH, type ApiContext, handleApi } from './api.js';
import { CONTROL_PATH, type ControlContext, handleControl, redactQuery } from './control.js';
import type { Fault } from './faults.js';
import { codeForStatus, HttpError, isLoopbackAddress, readBody, requestOrigin, sendHttpError, sendJson } from './http.js';
import type { Timers } from './timers.js';
import { KNOWN_SCOPES } from './tokens.js';

/** Protime answers 414 above this (reference/general-specs). */
const MAX_URI_LENGTH = 4096;

export interface ServerContext extends ApiContext, ControlContext {
  tenant: string;
  timers: Timers;
  now: () => Date;
  log: (line: string) => void;
}

/** The one request listener: control endpoints, then faults, then the token endpoint and the API. */
export function createRequestHandler(ctx: ServerContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => void dispatch(req, res, ctx);
}

async function dispatch(req: IncomingMessage, res: ServerResponse, ctx: ServerContext): Promise<void> {
  const started = Date.now();
  const receivedAt = ctx.now().toISOString();
  const method = req.method ?? 'GET';
  const url = new URL(req.url ?? '/', 'http://emulator.invalid');
  const control = url.pathname === CONTROL_PATH || url.pathname.startsWith(`${CONTROL_PATH}/`);
  res.once('close', () => {
    // A dropped request never sent headers: report it as such rather than as a made-up status.
    const status = res.headersSent ? res.statusCode : null;
    const query = redactQuery(url.searchParams);
    ctx.log(`${method} ${url.pathname}${query ? `?${query}` : ''} ${status ?? 'dropped'} ${Date.now() - started} ms`);
    // The log is for what a client did to the API; the test harness's own calls would only be noise.
    if (!control) ctx.requests.add({ at: ctx.now().toISOString(), receivedAt, method, path: url.pathname, query, status });
  });
  try {
    if (control) {
      if (!isLoopbackAddress(req.socket.remoteAddress)) {
        throw new HttpError(403, 'Forbidden', 'The emulator control endpoints answer loopback callers only');
      }
      return await handleControl(req, res, url, ctx);
    }
    if ((req.url ?? '').length > MAX_URI_LENGTH)
      throw new HttpError(414, 'UriTooLong', `The URI is longer than ${MAX_URI_LENGTH} characters`);
    const fault = ctx.faults.take(method, url.pathname);
    if (fault && (await applyFault(req, res, fault, ctx.timers))) return;
    await route(req, res, url, ctx);
  } catch (error) {
    if (res.headersSent || res.destroyed) return;
    if (error instanceof HttpError) return sendHttpError(res, error);
    ctx.log(`emulator error on ${method} ${url.pathname}: ${(error as Error).stack ?? String(error)}`);
    sendHttpError(res, new HttpError(500, 'InternalServerError', 'The emulator failed; see its log'));
  }
}

async function route(req: IncomingMessage, res: ServerResponse, url: URL, ctx: ServerContext): Promise<void> {
  const path = url.pathname;
  const token = /^\/tenants\/([^/]+)\/connect\/token\/?$/.exec(path);
  if (token) {
    if (req.method !== 'POST') {
      return sendJson(res, 405, { error: 'invalid_request', error_description: 'The token endpoint takes POST' }, { Allow: 'POST' });
    }
    const body = (await readBody(req)).toString('utf8');
    const answer = ctx.tokens.issue(token[1]!, req.headers['content-type'], req.headers.authorization, body);
    return sendJson(res, answer.status, answer.body, { 'Cache-Control': 'no-store', Pragma: 'no-cache' });
  }
  const discovery = /^\/tenants\/([^/]+)\/\.well-known\/openid-configuration$/.exec(path);
  if (discovery && discovery[1] === ctx.tenant && req.method === 'GET') {
    const issuer = `${requestOrigin(req, ctx.url)}/tenants/${ctx.tenant}`;
    return sendJson(res, 200, {
      issuer,
      token_endpoint: `${issuer}/connect/token`,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      scopes_supported: KNOWN_SCOPES,
    });
  }
  if (path === API_PATH || path.startsWith(`${API_PATH}/`)) return handleApi(req, res, url, ctx);
  throw new HttpError(404, 'NotFound', `No resource at ${path}`);
}

/** Plays a fault. Returns false when the request should still be answered normally (latency only). */
async function applyFault(req: IncomingMessage, res: ServerResponse, fault: Fault, timers: Timers): Promise<boolean> {
  if (fault.latencyMs) await timers.sleep(fault.latencyMs);
  if (fault.holdAnswerMs) {
    // Headers and body leave together at end(), so delaying end() holds the whole answer.
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    const hold = fault.holdAnswerMs;
    res.end = ((...args: unknown[]) => {
      void timers.sleep(hold).then(
        () => end(...args),
        () => end(...args),
      );
      return res;
    }) as typeof res.end;
  }
  if (fault.drop) {
    req.socket.destroy();
    return true;
  }
  if (fault.status === undefined) return false;
  const headers: Record<string, string> = fault.retryAfter === undefined ? {} : { 'Retry-After': fault.retryAfter };
  if (typeof fault.body === 'string') {
    res.writeHead(fault.status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
    res.end(fault.body);
  } else if (fault.body === undefined) {
    sendHttpError(res, new HttpError(fault.status, codeForStatus(fault.status), `Injected fault: ${fault.status}`, [], headers));
  } else {
    sendJson(res, fault.status, fault.body, headers);
  }
  return true;
}
