import nock from 'nock';
import { afterEach, describe, expect, it } from 'vitest';
import { profileTokens } from '../../src/context.js';
import { basicCredentials, type Credentials, fetchToken, TokenProvider } from '../../src/protime/auth.js';
import { FileStore } from '../../src/state/file-store.js';
import {
  AUTH_ORIGIN,
  cliError,
  mockToken,
  removeTempDirs,
  SCOPES,
  SECRET,
  settings,
  storeWithProfile,
  TOKEN_PATH,
  TOKEN_URL,
  testClock,
  tokenAnswer,
  UA,
} from './factories.js';

afterEach(removeTempDirs);

const credentials: Credentials = { tokenUrl: TOKEN_URL, clientId: 'acme-client', clientSecret: SECRET.client, scopes: SCOPES };
const NOW = new Date('2025-01-01T00:00:00Z');

describe('fetchToken', () => {
  it('posts a form-encoded client-credentials request with the User-Agent', async () => {
    let form: Record<string, string> = {};
    nock(AUTH_ORIGIN)
      .post(TOKEN_PATH, (body: Record<string, string>) => {
        form = body;
        return true;
      })
      .matchHeader('content-type', 'application/x-www-form-urlencoded')
      .matchHeader('user-agent', UA)
      .matchHeader('authorization', (value) => value === undefined)
      .reply(200, tokenAnswer());
    const token = await fetchToken(credentials, settings(), NOW);
    expect(form).toEqual({
      grant_type: 'client_credentials',
      client_id: 'acme-client',
      client_secret: SECRET.client,
      scope: SCOPES.join(' '),
    });
    expect(token).toEqual({ accessToken: SECRET.token, expiresAt: '2025-01-01T00:30:00.000Z', scopes: SCOPES });
  });

  const jwt = (exp: number) => `h.${Buffer.from(JSON.stringify({ exp })).toString('base64url')}.s`;
  const inAnHour = NOW.getTime() / 1000 + 3600;
  // expires_in is RECOMMENDED, not required (RFC 6749 §5.1): an answer without a usable one is still a token.
  it.each([
    ['missing', undefined, 'opaque-token', '2025-01-01T00:05:00.000Z'],
    ['missing, the token a JWT', undefined, jwt(inAnHour), '2025-01-01T01:00:00.000Z'],
    ['0', 0, 'opaque-token', '2025-01-01T00:05:00.000Z'],
    ['negative', -60, 'opaque-token', '2025-01-01T00:05:00.000Z'],
    ['not a number', 'soon', 'opaque-token', '2025-01-01T00:05:00.000Z'],
    ['null', null, jwt(inAnHour), '2025-01-01T01:00:00.000Z'],
    ['huge (1e13 s)', 1e13, 'opaque-token', '2025-01-02T00:00:00.000Z'],
    ['infinite as text', 'Infinity', 'opaque-token', '2025-01-01T00:05:00.000Z'],
    ['a JWT past its exp', undefined, jwt(NOW.getTime() / 1000 - 10), '2025-01-01T00:00:00.000Z'],
  ])('expires_in %s: the token is accepted, and cached for a bounded time', async (_, expiresIn, accessToken, expiresAt) => {
    nock(AUTH_ORIGIN)
      .post(TOKEN_PATH)
      .reply(200, { access_token: accessToken, ...(expiresIn === undefined ? {} : { expires_in: expiresIn }) });
    const token = await fetchToken(credentials, settings(), NOW);
    expect(token.expiresAt).toBe(expiresAt);
    expect(token.accessToken).toBe(accessToken);
  });

  it('reads expires_in instead of assuming 1800 s, and reports the granted scopes', async () => {
    nock(AUTH_ORIGIN)
      .post(TOKEN_PATH)
      .reply(200, { access_token: 'short-lived-token', expires_in: '300', scope: 'connector-protimeapi-webhooks.read' });
    const token = await fetchToken(credentials, settings(), NOW);
    expect(token).toEqual({
      accessToken: 'short-lived-token',
      expiresAt: '2025-01-01T00:05:00.000Z',
      scopes: ['connector-protimeapi-webhooks.read'],
    });
  });

  it('turns an OAuth invalid_client answer into an auth error (exit 4) showing error and description', async () => {
    nock(AUTH_ORIGIN).post(TOKEN_PATH).reply(401, { error: 'invalid_client', error_description: 'Client authentication failed.' });
    const error = await cliError(fetchToken(credentials, settings(), NOW));
    expect(error.kind).toBe('auth');
    expect(error.exitCode).toBe(4);
    expect(error.code).toBe('credentials-rejected');
    expect(error.status).toBe(401);
    expect(error.message).toBe('The token endpoint rejected the credentials (invalid_client: Client authentication failed.).');
  });

  it('names the scopes when the endpoint answers invalid_scope', async () => {
    nock(AUTH_ORIGIN).post(TOKEN_PATH).reply(400, { error: 'invalid_scope' });
    const error = await cliError(fetchToken(credentials, settings(), NOW));
    expect(error.exitCode).toBe(4);
    expect(error.code).toBe('scope-rejected');
    expect(error.message).toBe('The token endpoint rejected the requested scopes (invalid_scope).');
  });

  it('names the rejected scope when the answer names it: in error_description, or in a scope field', async () => {
    const wanted = { ...credentials, scopes: [...credentials.scopes, 'connector-protimeapi-payroll.read'] };
    nock(AUTH_ORIGIN)
      .post(TOKEN_PATH)
      .reply(400, { error: 'invalid_scope', error_description: 'Unknown scope: connector-protimeapi-payroll.read' });
    const described = await cliError(fetchToken(wanted, settings(), NOW));
    expect(described.exitCode).toBe(4);
    expect(described.code).toBe('scope-rejected');
    expect(described.message).toBe(
      'The token endpoint rejected the scope connector-protimeapi-payroll.read (invalid_scope: Unknown scope: connector-protimeapi-payroll.read).',
    );
    // oidc-provider's shape: a generic description, the scope in its own field.
    nock(AUTH_ORIGIN).post(TOKEN_PATH).reply(400, {
      error: 'invalid_scope',
      error_description: 'requested scope is not allowed',
      scope: 'connector-protimeapi-payroll.read',
    });
    const field = await cliError(fetchToken(wanted, settings(), NOW));
    expect(field.message).toMatch(/^The token endpoint rejected the scope connector-protimeapi-payroll\.read \(/);
  });

  it('--token-auth basic: the id and secret form-urlencoded, then base64, in an Authorization header; none in the body', async () => {
    const secret = 'a:b%c+d e/é';
    const header = basicCredentials('client id:1', secret);
    // RFC 6749 §2.3.1: application/x-www-form-urlencoded first (space as +), then base64.
    expect(Buffer.from(header.replace(/^Basic /, ''), 'base64').toString()).toBe('client+id%3A1:a%3Ab%25c%2Bd+e%2F%C3%A9');
    nock(AUTH_ORIGIN)
      .matchHeader('authorization', header)
      .post(TOKEN_PATH, (body) => body.grant_type === 'client_credentials' && !('client_secret' in body) && !('client_id' in body))
      .reply(200, tokenAnswer());
    const token = await fetchToken({ ...credentials, clientId: 'client id:1', clientSecret: secret, tokenAuth: 'basic' }, settings(), NOW);
    expect(token.accessToken).toBeTruthy();
  });

  it("an invalid_client answer's hint names the other --token-auth method", async () => {
    nock(AUTH_ORIGIN).post(TOKEN_PATH).reply(401, { error: 'invalid_client' });
    const post = await cliError(fetchToken(credentials, settings(), NOW));
    expect(post.hint).toContain('--token-auth basic');
    nock(AUTH_ORIGIN).post(TOKEN_PATH).reply(401, { error: 'invalid_client' });
    const basic = await cliError(fetchToken({ ...credentials, tokenAuth: 'basic' }, settings(), NOW));
    expect(basic.hint).toContain('--token-auth post');
    nock(AUTH_ORIGIN).post(TOKEN_PATH).reply(400, { error: 'unsupported_grant_type' });
    expect((await cliError(fetchToken(credentials, settings(), NOW))).hint).not.toContain('--token-auth');
  });

  it('says the token endpoint does not exist on a 404 (wrong tenant)', async () => {
    nock(AUTH_ORIGIN).post(TOKEN_PATH).reply(404, 'Not Found', { 'content-type': 'text/plain' });
    const error = await cliError(fetchToken(credentials, settings(), NOW));
    expect(error.exitCode).toBe(4);
    expect(error.code).toBe('token-endpoint-not-found');
  });

  it('retries a 503 from the token endpoint, then reports it as temporary', async () => {
    nock(AUTH_ORIGIN)
      .post(TOKEN_PATH)
      .times(4)
      .reply(503, '<html><head><title>503 Service Unavailable</title></head></html>', { 'content-type': 'text/html' });
    const http = settings();
    const error = await cliError(fetchToken(credentials, http, NOW));
    expect(http.delays).toEqual([100, 200, 400]);
    expect(error.exitCode).toBe(75);
    expect(error.message).toBe('The token endpoint is unavailable (503 Service Unavailable).');
  });

  it('rejects a 200 without access_token, naming the field', async () => {
    nock(AUTH_ORIGIN).post(TOKEN_PATH).reply(200, { expires_in: 1800 });
    const error = await cliError(fetchToken(credentials, settings(), NOW));
    expect(error.kind).toBe('failure');
    expect(error.code).toBe('bad-token-response');
    expect(error.message).toMatch(/^The token endpoint sent an unexpected answer \(access_token: /);
  });
});

describe('TokenProvider: the token cache', () => {
  it('reuses a cached token across invocations sharing the store folder (one token request for two calls)', async () => {
    const first = await storeWithProfile();
    const clock = testClock();
    mockToken(SECRET.token);
    expect(await new TokenProvider(profileTokens(first, 'default'), 'default', settings(), clock.now).get()).toBe(SECRET.token);

    // A second invocation: a new Store and a new provider on the same folder, 29 minutes later.
    clock.advance(29 * 60 - 1);
    const second = new FileStore(first.dir);
    expect(await new TokenProvider(profileTokens(second, 'default'), 'default', settings(), clock.now).get()).toBe(SECRET.token);
    expect((await second.read()).profiles.default?.token).toEqual({
      accessToken: SECRET.token,
      expiresAt: '2025-01-01T00:30:00.000Z',
      scopes: SCOPES,
    });
  });

  it('fetches a fresh token within 60 s of expiry and caches it', async () => {
    const store = await storeWithProfile();
    const clock = testClock();
    mockToken(SECRET.token);
    await new TokenProvider(profileTokens(store, 'default'), 'default', settings(), clock.now).get();

    clock.advance(29 * 60); // exactly 60 s before expiry
    mockToken(SECRET.token2);
    expect(await new TokenProvider(profileTokens(new FileStore(store.dir), 'default'), 'default', settings(), clock.now).get()).toBe(
      SECRET.token2,
    );
    expect((await store.read()).profiles.default?.token?.accessToken).toBe(SECRET.token2);
    expect((await store.read()).profiles.default?.token?.expiresAt).toBe('2025-01-01T00:59:00.000Z');
  });

  it('fetches a new token when asked to renew a rejected one, even if it looks valid', async () => {
    const store = await storeWithProfile({ token: { accessToken: SECRET.token, expiresAt: '2025-01-01T00:30:00.000Z', scopes: SCOPES } });
    const provider = new TokenProvider(profileTokens(store, 'default'), 'default', settings(), testClock().now);
    mockToken(SECRET.token2);
    expect(await provider.get()).toBe(SECRET.token);
    expect(await provider.get({ renew: true })).toBe(SECRET.token2);
    // The renewed token is what the next invocation finds.
    expect(await new TokenProvider(profileTokens(new FileStore(store.dir), 'default'), 'default', settings(), testClock().now).get()).toBe(
      SECRET.token2,
    );
  });

  it('concurrent askers share one token request, and a held token is not looked up in the store again', async () => {
    const store = await storeWithProfile();
    let loads = 0;
    const source = profileTokens(store, 'default');
    const counting = {
      ...source,
      load: () => {
        loads++;
        return source.load();
      },
    };
    const provider = new TokenProvider(counting, 'default', settings(), testClock().now);
    mockToken(SECRET.token); // answered once: a second token request would find no mock and fail
    expect(await Promise.all(Array.from({ length: 8 }, () => provider.get()))).toEqual(Array(8).fill(SECRET.token));
    expect(loads).toBe(1);
    for (let i = 0; i < 20; i++) await provider.get();
    expect(loads).toBe(1);
  });

  it('after a 401, renews only the token that was refused: one already replaced is handed out as it is', async () => {
    const store = await storeWithProfile({ token: { accessToken: SECRET.token, expiresAt: '2025-01-01T00:30:00.000Z', scopes: SCOPES } });
    const provider = new TokenProvider(profileTokens(store, 'default'), 'default', settings(), testClock().now);
    expect(await provider.get()).toBe(SECRET.token);
    mockToken(SECRET.token2); // once: the second worker's renew must not fetch again
    const [a, b] = await Promise.all([
      provider.get({ renew: true, rejected: SECRET.token }),
      provider.get({ renew: true, rejected: SECRET.token }),
    ]);
    expect([a, b]).toEqual([SECRET.token2, SECRET.token2]);
    expect(await provider.get({ renew: true, rejected: SECRET.token })).toBe(SECRET.token2);
  });

  it('hands every secret it sees to onSecret, for the scrubber', async () => {
    const store = await storeWithProfile();
    const seen: string[] = [];
    mockToken(SECRET.token);
    await new TokenProvider(profileTokens(store, 'default'), 'default', settings(), testClock().now, (secret) => seen.push(secret)).get();
    expect(seen).toEqual([SECRET.client, SECRET.token]);
  });

  it('says the profile is not logged in (exit 4) when it has no client secret', async () => {
    const store = await storeWithProfile({ clientSecret: undefined });
    const error = await cliError(new TokenProvider(profileTokens(store, 'default'), 'default', settings(), testClock().now).get());
    expect(error.exitCode).toBe(4);
    expect(error.code).toBe('not-logged-in');
    expect(error.hint).toBe('Run `protime-hooks login`.');
  });
});
