import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { COLLECTION_NAMES } from '../shared/collections.js';
import { safeDecode } from './http.js';

export const WEBHOOKS_READ_SCOPE = 'connector-protimeapi-webhooks.read';
export const WEBHOOKS_WRITE_SCOPE = 'connector-protimeapi-webhooks.write';

/** `connector-protimeapi-<collection>.<read|write>` for the 18 collections, plus the webhooks pair. */
export const KNOWN_SCOPES: readonly string[] = [...COLLECTION_NAMES, 'webhooks'].flatMap((name) => [
  `connector-protimeapi-${name}.read`,
  `connector-protimeapi-${name}.write`,
]);

export interface TokenSettings {
  tenant: string;
  clientId: string;
  clientSecret: string;
  tokenTtlSeconds: number;
  now: () => Date;
}

export interface IssuedToken {
  scopes: ReadonlySet<string>;
  /** Epoch ms by the emulator clock. */
  expiresAt: number;
}

/** What the token endpoint answers; OAuth errors use `{error, error_description}`, not Protime's shape. */
export interface TokenResponse {
  status: number;
  body: Record<string, unknown>;
}

export type TokenCheck = { token: IssuedToken } | { problem: string };

function oauthError(status: number, error: string, description: string): TokenResponse {
  return { status, body: { error, error_description: description } };
}

/** Issues and checks bearer tokens for one tenant and one client, like the identity server does. */
export class TokenIssuer {
  private readonly tokens = new Map<string, IssuedToken>();
  /** Signs the JWT-like tokens; only so they look real, validity comes from the map. */
  private readonly signingKey = randomBytes(32);

  constructor(private readonly settings: TokenSettings) {}

  /** Answers `POST /tenants/<tenant>/connect/token`. */
  issue(tenant: string, contentType: string | undefined, authorization: string | undefined, rawBody: string): TokenResponse {
    const { settings } = this;
    if (tenant !== settings.tenant) return oauthError(404, 'invalid_request', `Unknown tenant '${tenant}'`);
    if (!contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
      return oauthError(400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
    }
    const form = new URLSearchParams(rawBody);
    const grantType = form.get('grant_type');
    if (!grantType) return oauthError(400, 'invalid_request', 'grant_type is missing');

    const client = clientCredentials(form, authorization);
    if (!client) return oauthError(401, 'invalid_client', 'Client credentials are missing');
    if (!sameText(client.id, settings.clientId) || !sameText(client.secret, settings.clientSecret)) {
      return oauthError(401, 'invalid_client', 'Client authentication failed: unknown client or wrong secret');
    }
    if (grantType !== 'client_credentials') {
      return oauthError(400, 'unsupported_grant_type', `Grant type '${grantType}' is not supported; use client_credentials`);
    }

    const requested = [...new Set((form.get('scope') ?? '').split(/\s+/).filter(Boolean))];
    const unknown = requested.filter((scope) => !KNOWN_SCOPES.includes(scope));
    if (unknown.length > 0) return oauthError(400, 'invalid_scope', `Unknown scope: ${unknown.join(' ')}`);
    // No scope asked means every scope the client is allowed, as the identity server does.
    const granted = requested.length > 0 ? requested : [...KNOWN_SCOPES];

    const now = settings.now().getTime();
    this.forgetExpired(now);
    const accessToken = this.makeToken(now, granted);
    this.tokens.set(accessToken, { scopes: new Set(granted), expiresAt: now + settings.tokenTtlSeconds * 1000 });
    return {
      status: 200,
      body: { access_token: accessToken, expires_in: settings.tokenTtlSeconds, token_type: 'Bearer', scope: granted.join(' ') },
    };
  }

  /** Every token issued so far stops working: what an expiry or a revocation looks like to a client. */
  revokeAll(): number {
    const count = this.tokens.size;
    this.tokens.clear();
    return count;
  }

  /** A rotated secret: the old one is refused from now on (tokens already issued stay valid). */
  rotateSecret(secret: string): void {
    this.settings.clientSecret = secret;
  }

  /** Checks an `Authorization` header; the problem text goes into the 401 body. */
  verify(authorization: string | undefined): TokenCheck {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match) return { problem: 'The Authorization header with a bearer token is missing' };
    const token = this.tokens.get(match[1]!);
    if (!token) return { problem: 'The bearer token is not valid' };
    if (this.settings.now().getTime() >= token.expiresAt) return { problem: 'The bearer token has expired' };
    return { token };
  }

  private makeToken(now: number, scopes: string[]): string {
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const header = encode({ alg: 'HS256', typ: 'at+jwt' });
    const payload = encode({
      client_id: this.settings.clientId,
      tenant: this.settings.tenant,
      scope: scopes,
      iat: Math.floor(now / 1000),
      exp: Math.floor(now / 1000) + this.settings.tokenTtlSeconds,
      jti: randomBytes(12).toString('hex'),
    });
    const signature = createHmac('sha256', this.signingKey).update(`${header}.${payload}`).digest('base64url');
    return `${header}.${payload}.${signature}`;
  }

  private forgetExpired(now: number): void {
    for (const [key, token] of this.tokens) if (token.expiresAt <= now) this.tokens.delete(key);
  }
}

/** Client id and secret from the form (client_secret_post) or HTTP Basic (client_secret_basic). */
function clientCredentials(form: URLSearchParams, authorization: string | undefined): { id: string; secret: string } | undefined {
  const basic = /^Basic\s+(\S+)$/i.exec(authorization ?? '');
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    return { id: safeDecode(decoded.slice(0, colon)), secret: safeDecode(decoded.slice(colon + 1)) };
  }
  const id = form.get('client_id');
  const secret = form.get('client_secret');
  return id && secret ? { id, secret } : undefined;
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
