import { describeIssue } from '../shared/describe-issue.js';
import { authError, failure, temporary } from '../shared/errors.js';
import { type ErrorBody, parseErrorBody } from './error-body.js';
import { type HttpSettings, send } from './http.js';

export const DEFAULT_SCOPES = ['connector-protimeapi-webhooks.read', 'connector-protimeapi-webhooks.write'];

/** A cached token is not used in its last minute: a request must not start with a dying token. */
const EXPIRY_MARGIN_MS = 60_000;

/** When the answer states no usable lifetime: short, since a 401 fetches a new token anyway. */
const UNSTATED_LIFETIME_S = 300;
/** No token is cached longer, whatever the server claims (1e13 s would not even be a date). */
const MAX_LIFETIME_S = 24 * 3600;

/**
 * Seconds the token may be cached: `expires_in` when it is a positive number (or numeric text),
 * else the JWT's own `exp` claim when the token is a JWT, else five minutes; at most a day.
 */
export function tokenLifetimeSeconds(expiresIn: unknown, accessToken: string, now: Date): number {
  const stated = typeof expiresIn === 'number' || (typeof expiresIn === 'string' && expiresIn.trim() !== '') ? Number(expiresIn) : NaN;
  if (Number.isFinite(stated) && stated > 0) return Math.min(stated, MAX_LIFETIME_S);
  const exp = jwtExpiry(accessToken);
  if (exp !== undefined) return Math.max(0, Math.min(exp - now.getTime() / 1000, MAX_LIFETIME_S));
  return UNSTATED_LIFETIME_S;
}

function jwtExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (token.split('.').length !== 3 || !payload) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp : undefined;
  } catch {
    return undefined;
  }
}

/** How the client authenticates to the token endpoint (RFC 6749 §2.3.1): in the form body, or with HTTP Basic. */
export type TokenAuth = 'post' | 'basic';

export interface Credentials {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scopes: string[];
  /** Default `post`, as Protime documents. */
  tokenAuth?: TokenAuth;
}

/**
 * RFC 6749 §2.3.1: the client id and secret are each encoded with application/x-www-form-urlencoded
 * (space as `+`, `:` and `%` escaped, UTF-8) before they are joined with `:` and base64-encoded.
 */
export function basicCredentials(clientId: string, clientSecret: string): string {
  const encode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}

// A type, not an interface: it must fit the store's loose (index-signature) token schema.
export type Token = {
  accessToken: string;
  expiresAt: string;
  /** Scopes the server granted (the requested ones when it did not say). */
  scopes: string[];
};

/** One client-credentials exchange. Rejected credentials are an auth error (exit 4). */
export async function fetchToken(credentials: Credentials, http: HttpSettings, now: Date): Promise<Token> {
  const basic = credentials.tokenAuth === 'basic';
  const scope = credentials.scopes.join(' ');
  const response = await send(
    {
      method: 'POST',
      url: credentials.tokenUrl,
      form: basic
        ? { grant_type: 'client_credentials', scope }
        : { grant_type: 'client_credentials', client_id: credentials.clientId, client_secret: credentials.clientSecret, scope },
      authorization: basic ? basicCredentials(credentials.clientId, credentials.clientSecret) : undefined,
      // Asking for a token changes nothing on the server, so it is safe to retry.
      retry: 'idempotent',
      purpose: 'requesting an access token',
    },
    http,
  );
  if (response.status >= 200 && response.status < 300) {
    const { tokenResponseSchema } = await import('./schemas.js');
    const parsed = tokenResponseSchema.safeParse(response.data);
    if (!parsed.success) {
      throw failure('bad-token-response', `The token endpoint sent an unexpected answer (${describeIssue(parsed.error)}).`, {
        hint: 'Check --token-url: it must be the tenant token endpoint.',
        status: response.status,
      });
    }
    const granted = parsed.data.scope?.split(/\s+/).filter(Boolean) ?? credentials.scopes;
    return {
      accessToken: parsed.data.access_token,
      expiresAt: new Date(now.getTime() + tokenLifetimeSeconds(parsed.data.expires_in, parsed.data.access_token, now) * 1000).toISOString(),
      scopes: granted,
    };
  }
  const body = parseErrorBody(response.data);
  const detail = [body.code, body.message].filter(Boolean).join(': ') || `HTTP ${response.status}`;
  if (response.status === 400 || response.status === 401 || response.status === 403) {
    if (body.code === 'invalid_scope') {
      const named = rejectedScopes(credentials.scopes, response.data, body);
      throw authError(
        'scope-rejected',
        `The token endpoint rejected the ${named.length > 0 ? `scope${named.length > 1 ? 's' : ''} ${named.join(', ')}` : 'requested scopes'} (${detail}).`,
        {
          hint: 'Ask the tenant administrator to grant the scopes to this API client, or request fewer with --scope.',
          status: response.status,
          reasons: body.reasons,
        },
      );
    }
    const other = basic ? 'post' : 'basic';
    throw authError('credentials-rejected', `The token endpoint rejected the credentials (${detail}).`, {
      hint:
        body.code === 'invalid_client'
          ? `Check the tenant, client id and client secret. If they are right, the token endpoint may expect the client ${basic ? 'id and secret in the form body' : 'credentials in an Authorization: Basic header'}: log in again with --token-auth ${other}.`
          : 'Check the tenant, client id and client secret, then run `protime-hooks login` again.',
      status: response.status,
      reasons: body.reasons,
    });
  }
  if (response.status === 404) {
    throw authError('token-endpoint-not-found', `No token endpoint at ${credentials.tokenUrl} (404).`, {
      hint: 'Check the tenant name (the subdomain of your myProtime URL) and --environment or --token-url.',
      status: 404,
    });
  }
  if (response.status === 429 || response.status >= 500) {
    throw temporary('token-endpoint-unavailable', `The token endpoint is unavailable (${detail}).`, {
      hint: 'Try again later.',
      status: response.status,
    });
  }
  throw failure('token-request-failed', `The token request failed (${detail}).`, { status: response.status, reasons: body.reasons });
}

/**
 * The requested scopes the answer names: in a `scope` field (as oidc-provider sends) or as whole
 * words of its description ("Unknown scope: x"). Empty when it names none.
 */
function rejectedScopes(requested: string[], data: unknown, body: ErrorBody): string[] {
  const field = data && typeof data === 'object' ? (data as { scope?: unknown }).scope : undefined;
  const text = [typeof field === 'string' ? field : '', body.message ?? '', ...body.reasons].join(' ');
  const words = new Set(text.split(/[\s,;:'"()[\]]+/).map((word) => word.replace(/\.$/, '')));
  const named = requested.filter((scope) => words.has(scope));
  if (named.length > 0 || typeof field !== 'string') return named;
  // The server named scopes we did not ask for under these names: show them as it wrote them.
  return field.split(/\s+/).filter(Boolean);
}

export function scopesMissing(requested: string[], granted: string[]): string[] {
  return requested.filter((scope) => !granted.includes(scope));
}

/**
 * Where a profile's credentials come from and where its token is cached between runs. context.ts
 * wires it to the state store, so this layer knows nothing of how state is kept.
 */
export interface TokenSource {
  /** The profile's credentials and cached token; undefined when it holds no client secret. */
  load(): Promise<{ credentials: Credentials; token?: Token } | undefined>;
  /** Caches a token fetched with `clientSecret`, unless the profile was logged out or re-keyed meanwhile. */
  save(token: Token, clientSecret: string): Promise<void>;
}

/**
 * Hands out the profile's access token, reusing the cached one across invocations until a minute
 * before it expires, and fetching (and caching) a new one when asked to after a 401.
 */
export class TokenProvider {
  #rejected?: string;
  /** The token this run holds: a renew's eight workers ask for it on every request. */
  #held?: { accessToken: string; expiresAt: number };
  /** One token request at a time: concurrent askers share its answer. */
  #fetching?: Promise<string>;

  constructor(
    private readonly source: TokenSource,
    private readonly profile: string,
    private readonly http: HttpSettings,
    private readonly now: () => Date,
    private readonly onSecret: (secret: string) => void = () => undefined,
  ) {}

  /**
   * A valid token: the one held, else the store's cached one, else a new one (saved for the next
   * run). `renew`: the server refused `rejected` (or, when not named, the token held or cached):
   * never hand it out again.
   */
  async get(options: { renew?: boolean; rejected?: string } = {}): Promise<string> {
    if (options.renew) this.#rejected = options.rejected ?? this.#held?.accessToken ?? this.#rejected;
    const held = this.#held;
    if (held && held.accessToken !== this.#rejected && held.expiresAt - EXPIRY_MARGIN_MS > this.now().getTime()) {
      return held.accessToken;
    }
    const rejectCached = Boolean(options.renew && !options.rejected && !held);
    this.#fetching ??= this.#obtain(rejectCached).finally(() => {
      this.#fetching = undefined;
    });
    return this.#fetching;
  }

  async #obtain(rejectCached: boolean): Promise<string> {
    const entry = await this.source.load();
    if (!entry) {
      throw authError('not-logged-in', `Profile "${this.profile}" is not logged in.`, {
        hint: `Run \`protime-hooks login${this.profile === 'default' ? '' : ` --profile ${this.profile}`}\`.`,
      });
    }
    const { credentials, token: cached } = entry;
    this.onSecret(credentials.clientSecret);
    if (rejectCached && cached) this.#rejected = cached.accessToken;
    if (cached && cached.accessToken !== this.#rejected && Date.parse(cached.expiresAt) - EXPIRY_MARGIN_MS > this.now().getTime()) {
      this.onSecret(cached.accessToken);
      this.#held = { accessToken: cached.accessToken, expiresAt: Date.parse(cached.expiresAt) };
      return cached.accessToken;
    }
    const token = await fetchToken(credentials, this.http, this.now());
    this.onSecret(token.accessToken);
    await this.source.save(token, credentials.clientSecret);
    this.#held = { accessToken: token.accessToken, expiresAt: Date.parse(token.expiresAt) };
    return token.accessToken;
  }
}
