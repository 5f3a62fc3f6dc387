import { afterEach, describe, expect, it } from 'vitest';
import { apiError, ProtimeClient } from '../../src/protime/client.js';
import type { HttpResponse } from '../../src/protime/http.js';
import { FileStore } from '../../src/state/file-store.js';
import {
  API_BASE,
  API_ROOT,
  api,
  cliError,
  clientWithStore,
  clientWithToken,
  mockToken,
  removeTempDirs,
  SECRET,
  settings,
  storeWithProfile,
  UA,
} from './factories.js';

afterEach(removeTempDirs);

const WEBHOOKS = `${API_BASE}/webhooks`;

describe('ProtimeClient.request', () => {
  it('sends the bearer token, User-Agent and Accept JSON to the API root', async () => {
    api()
      .get(WEBHOOKS)
      .matchHeader('authorization', `Bearer ${SECRET.token}`)
      .matchHeader('user-agent', UA)
      .matchHeader('accept', 'application/json')
      .reply(200, { value: [] });
    const response = await clientWithToken(settings()).request({ method: 'GET', path: '/webhooks', retry: 'idempotent' });
    expect(response.data).toEqual({ value: [] });
  });

  it('uses one token for two calls, and the token request carries the User-Agent too', async () => {
    const store = await storeWithProfile();
    mockToken(SECRET.token).matchHeader('user-agent', UA);
    api().get(WEBHOOKS).times(2).matchHeader('authorization', `Bearer ${SECRET.token}`).reply(200, { value: [] });
    const http = settings();
    await clientWithStore(store, http).request({ method: 'GET', path: '/webhooks', retry: 'idempotent' });
    // A second invocation, with its own Store object on the same folder.
    await clientWithStore(new FileStore(store.dir), http).request({ method: 'GET', path: '/webhooks', retry: 'idempotent' });
  });

  it('on a 401, fetches a fresh token once and retries once', async () => {
    const store = await storeWithProfile({ token: { accessToken: SECRET.token, expiresAt: '2025-01-01T00:30:00.000Z', scopes: [] } });
    api()
      .get(WEBHOOKS)
      .matchHeader('authorization', `Bearer ${SECRET.token}`)
      .reply(401, { error: { code: 'Unauthorized' } });
    mockToken(SECRET.token2);
    api().get(WEBHOOKS).matchHeader('authorization', `Bearer ${SECRET.token2}`).reply(200, { value: [] });
    const response = await clientWithStore(store, settings()).request({ method: 'GET', path: '/webhooks', retry: 'idempotent' });
    expect(response.status).toBe(200);
    expect((await store.read()).profiles.default?.token?.accessToken).toBe(SECRET.token2);
  });

  it('fails with an auth error (exit 4) when the fresh token is refused too, after exactly one refresh', async () => {
    const store = await storeWithProfile();
    mockToken(SECRET.token);
    mockToken(SECRET.token2);
    api()
      .get(WEBHOOKS)
      .matchHeader('authorization', `Bearer ${SECRET.token}`)
      .reply(401, { error: { code: 'Unauthorized', message: 'Token revoked' } });
    api()
      .get(WEBHOOKS)
      .matchHeader('authorization', `Bearer ${SECRET.token2}`)
      .reply(401, { error: { code: 'Unauthorized', message: 'Token revoked' } });
    const http = settings();
    const error = await cliError(
      clientWithStore(store, http).request({ method: 'GET', path: '/webhooks', retry: 'idempotent', purpose: 'listing webhooks' }),
    );
    expect(error.kind).toBe('auth');
    expect(error.exitCode).toBe(4);
    expect(error.code).toBe('unauthorized');
    expect(error.status).toBe(401);
    expect(error.message).toBe('Protime refused the access token (401 Unauthorized) while listing webhooks: Token revoked');
    expect(error.hint).toContain('protime-hooks login');
    expect(http.delays).toEqual([]);
  });

  it('refreshes after a 401 on POST /webhooks too (the server did nothing)', async () => {
    const tokens = ['t-old', 't-new'];
    const client = new ProtimeClient(API_ROOT, { get: async () => tokens.shift() ?? 'none' }, settings());
    api().post(WEBHOOKS).matchHeader('authorization', 'Bearer t-old').reply(401);
    api().post(WEBHOOKS).matchHeader('authorization', 'Bearer t-new').reply(201, { id: 'w1' });
    const response = await client.request({ method: 'POST', path: '/webhooks', json: {}, retry: 'create' });
    expect(response.status).toBe(201);
  });
});

describe('apiError: status to error kind', () => {
  const answer = (status: number, data: unknown = undefined): HttpResponse => ({
    status,
    headers: new Headers(),
    data,
    url: `${API_ROOT}/webhooks`,
  });

  it.each([
    [401, 'auth', 4, 'unauthorized'],
    [403, 'auth', 4, 'forbidden'],
    [429, 'temporary', 75, 'rate-limited'],
    [500, 'temporary', 75, 'server-error'],
    [502, 'temporary', 75, 'server-error'],
    [503, 'temporary', 75, 'server-error'],
    [504, 'temporary', 75, 'server-error'],
    [400, 'failure', 1, 'bad-request'],
    [404, 'failure', 1, 'not-found'],
    [409, 'failure', 1, 'conflict'],
    [414, 'failure', 1, 'uri-too-long'],
    [418, 'failure', 1, 'http-418'],
  ])('%i → %s (exit %i, code %s)', (status, kind, exitCode, code) => {
    const error = apiError(answer(status), { retry: 'idempotent' });
    expect(error.kind).toBe(kind);
    expect(error.exitCode).toBe(exitCode);
    expect(error.code).toBe(code);
    expect(error.status).toBe(status);
  });

  it('names the likely missing scope on a 403', () => {
    const error = apiError(answer(403, { error: { code: 'Forbidden', message: 'Insufficient scope' } }), {
      retry: 'create',
      purpose: 'creating the webhook',
      scopeHint: 'add connector-protimeapi-contracts.read',
    });
    expect(error.message).toBe('The API client lacks permission (403 Forbidden) while creating the webhook: Insufficient scope');
    expect(error.hint).toBe('add connector-protimeapi-contracts.read');
  });

  it('keeps code, message and reasons from the body', () => {
    const error = apiError(
      answer(400, { error: { code: 'BadRequest', message: 'Invalid destination', reasons: ['destinationUrl must be https'] } }),
      { retry: 'create' },
    );
    expect(error.message).toBe('Protime answered 400 BadRequest: Invalid destination');
    expect(error.reasons).toEqual(['destinationUrl must be https']);
  });
});

describe('ProtimeClient.resolve', () => {
  const client = clientWithToken(settings());

  it.each([
    ['/webhooks', `${API_ROOT}/webhooks`],
    ['webhooks/abc', `${API_ROOT}/webhooks/abc`],
    [`${API_ROOT}/webhooks?page=2`, `${API_ROOT}/webhooks?page=2`],
    // A server-relative nextLink that already carries the API path is not nested under it again.
    [`${new URL(API_ROOT).pathname}/webhooks?page=2`, `${API_ROOT}/webhooks?page=2`],
  ])('resolves %s under the API root', (path, expected) => {
    expect(client.resolve(path)).toBe(expected);
  });

  it('works whether or not the API root ends with a slash', () => {
    expect(new ProtimeClient(`${API_ROOT}/`, { get: async () => 't' }, settings()).resolve('/webhooks')).toBe(`${API_ROOT}/webhooks`);
  });

  it.each([
    ['another host', 'https://evil.example/webhooks'],
    ['plain http on the same host', 'http://acme.myprotime.eu/connector/protimeapi/api/v1/webhooks'],
    ['another port', 'https://acme.myprotime.eu:8443/connector/protimeapi/api/v1/webhooks'],
  ])('refuses %s, so the token never leaves the API origin', (_label, url) => {
    let thrown: unknown;
    try {
      client.resolve(url);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ kind: 'failure', code: 'foreign-link' });
  });

  it('refuses a foreign absolute path before sending anything', async () => {
    const error = await cliError(
      clientWithToken(settings()).request({ method: 'GET', path: 'https://evil.example/steal', retry: 'idempotent' }),
    );
    expect(error.code).toBe('foreign-link');
    expect(error.message).toBe('Protime pointed to https://evil.example, outside the API at https://acme.myprotime.eu; not following it.');
  });
});
