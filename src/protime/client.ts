import { authError, type CliError, failure, temporary } from '../shared/errors.js';
import type { TokenProvider } from './auth.js';
import { parseErrorBody } from './error-body.js';
import { type HttpRequest, type HttpResponse, type HttpSettings, send } from './http.js';

export interface ApiRequest extends Omit<HttpRequest, 'bearer' | 'url'> {
  /** Path under the API root (`/webhooks`) or an absolute URL on the same origin (a nextLink). */
  path: string;
  /** Said on a 403: which scope is probably missing. */
  scopeHint?: string;
}

/** An authenticated Protime API client: bearer token, one refresh on 401, errors made readable. */
export class ProtimeClient {
  constructor(
    readonly apiUrl: string,
    private readonly tokens: Pick<TokenProvider, 'get'>,
    private readonly http: HttpSettings,
  ) {}

  async request(request: ApiRequest): Promise<HttpResponse> {
    const url = this.resolve(request.path);
    const bearer = await this.tokens.get();
    let response = await send({ ...request, url, bearer }, this.http);
    if (response.status === 401) {
      // The token may have been revoked or expired early: one fresh token (unless another request
      // already replaced this one), one more try.
      this.http.trace?.('401: fetching a new token and trying once more');
      response = await send({ ...request, url, bearer: await this.tokens.get({ renew: true, rejected: bearer }) }, this.http);
    }
    if (response.status < 200 || response.status >= 300) throw apiError(response, request);
    return response;
  }

  /** Asks the token endpoint for a new token now, cached one or not (doctor proves the endpoint answers). */
  async renewToken(): Promise<void> {
    await this.tokens.get({ renew: true });
  }

  /** Joins a path to the API root; absolute URLs must stay on the API's origin so the token never leaks. */
  resolve(path: string): string {
    const root = new URL(this.apiUrl.endsWith('/') ? this.apiUrl : `${this.apiUrl}/`);
    // `/webhooks` is relative to the API root; a server-relative link that already starts with the
    // root's path (`/connector/protimeapi/api/v1/webhooks?page=2`) is taken as it is.
    const url = path.startsWith(root.pathname) ? new URL(path, root.origin) : new URL(path.replace(/^\//, ''), root);
    if (url.origin !== root.origin) {
      throw failure('foreign-link', `Protime pointed to ${url.origin}, outside the API at ${root.origin}; not following it.`, {
        hint: 'Check --api-url; protime-hooks only sends the token to the API host.',
      });
    }
    return url.href;
  }
}

/** Maps a non-2xx API answer to the error vocabulary. */
export function apiError(response: HttpResponse, request: Pick<ApiRequest, 'purpose' | 'scopeHint' | 'retry'>): CliError {
  const body = parseErrorBody(response.data);
  const status = response.status;
  const doing = request.purpose ? ` while ${request.purpose}` : '';
  const said = body.message ? `: ${body.message}` : '';
  const details = { status, reasons: body.reasons };
  const label = body.code ? `${status} ${body.code}` : `${status}`;
  if (status === 401) {
    // Some Protime pages answer 401, not 403, for a missing scope: name the likely one too.
    const login = 'Run `protime-hooks login` again; the API client may have been revoked.';
    return authError('unauthorized', `Protime refused the access token (${label})${doing}${said}`, {
      ...details,
      hint: request.scopeHint ? `${login} Or it lacks a scope: ${request.scopeHint}` : login,
    });
  }
  if (status === 403) {
    return authError('forbidden', `The API client lacks permission (${label})${doing}${said}`, {
      ...details,
      hint: request.scopeHint ?? 'Ask the tenant administrator to grant the missing scope.',
    });
  }
  if (status === 429 || status >= 500) {
    const uncertain = request.retry === 'create' && status !== 429 && status !== 503;
    return temporary(
      status === 429 ? 'rate-limited' : 'server-error',
      `Protime answered ${label}${doing}${said}${uncertain ? '; the webhook may have been created anyway' : ''}`,
      {
        ...details,
        hint: uncertain ? 'Run `protime-hooks status` before trying again.' : 'Try again later.',
      },
    );
  }
  const codes: Record<number, string> = { 400: 'bad-request', 404: 'not-found', 409: 'conflict', 414: 'uri-too-long' };
  return failure(codes[status] ?? `http-${status}`, `Protime answered ${label}${doing}${said}`, details);
}
