import nock from 'nock';
import { afterEach, describe, expect, it } from 'vitest';
import { createWebhook } from '../../src/protime/api.js';
import { redactBody, redactHeaders, SecretScrubber } from '../../src/shared/redact.js';
import {
  API_BASE,
  AUTH_ORIGIN,
  api,
  cliError,
  clientWithStore,
  makeCreated,
  mockToken,
  removeTempDirs,
  SECRET,
  settings,
  stableTrace,
  storeWithProfile,
  TOKEN_PATH,
  tokenAnswer,
} from './factories.js';

afterEach(removeTempDirs);

const WEBHOOKS = `${API_BASE}/webhooks`;

describe('debug trace', () => {
  it('shows method, URL, status, duration and retries, and no secret', async () => {
    const store = await storeWithProfile();
    mockToken(SECRET.token);
    api()
      .post(WEBHOOKS)
      .reply(503, { error: { code: 'Maintenance' } }, { 'Retry-After': '2' });
    api()
      .post(WEBHOOKS)
      .reply(201, makeCreated({ id: 'w1', privateKey: `${SECRET.webhookKey}-2` }));
    const http = settings();

    const created = await createWebhook(clientWithStore(store, http), {
      collection: 'contracts',
      destinationUrl: 'https://hooks.example.com/p',
      externalReferences: [],
    });
    expect(created.key).toBe(SECRET.webhookKey);

    for (const secret of [SECRET.client, SECRET.token, SECRET.webhookKey]) {
      expect(http.lines.filter((line) => line.includes(secret))).toEqual([]);
    }
    expect(stableTrace(http.lines)).toMatchInlineSnapshot(`
      "POST https://authentication.myprotime.eu/tenants/acme/connect/token headers={"user-agent":"protime-hooks-test/9.9 (Acme)","accept":"application/json","content-type":"application/x-www-form-urlencoded"} body={"grant_type":"client_credentials","client_id":"acme-client","client_secret":"[redacted]","scope":"connector-protimeapi-webhooks.read connector-protimeapi-webhooks.write"}
      POST https://authentication.myprotime.eu/tenants/acme/connect/token -> 200 (N ms) {"access_token":"[redacted]","expires_in":1800,"token_type":"Bearer","scope":"connector-protimeapi-webhooks.read connector-protimeapi-webhooks.write"}
      POST https://acme.myprotime.eu/connector/protimeapi/api/v1/webhooks headers={"user-agent":"protime-hooks-test/9.9 (Acme)","accept":"application/json","authorization":"Bearer [redacted]","content-type":"application/json"} body={"destinationUrl":"https://hooks.example.com/p","collectionName":"contracts"}
      POST https://acme.myprotime.eu/connector/protimeapi/api/v1/webhooks -> 503 (N ms) {"error":{"code":"Maintenance"}}
      retry 1/3 of POST https://acme.myprotime.eu/connector/protimeapi/api/v1/webhooks in 2000 ms (status 503)
      POST https://acme.myprotime.eu/connector/protimeapi/api/v1/webhooks headers={"user-agent":"protime-hooks-test/9.9 (Acme)","accept":"application/json","authorization":"Bearer [redacted]","content-type":"application/json"} body={"destinationUrl":"https://hooks.example.com/p","collectionName":"contracts"}
      POST https://acme.myprotime.eu/connector/protimeapi/api/v1/webhooks -> 201 (N ms) {"id":"w1","validUntil":"2025-06-30T12:00:00+02:00","status":"Enabled","key":"[redacted]","privateKey":"[redacted]"}"
    `);
  });

  it('traces a failed attempt with its reason and the retry', async () => {
    api()
      .get(`${WEBHOOKS}/w1`)
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    api().get(`${WEBHOOKS}/w1`).reply(200, {});
    const store = await storeWithProfile({ token: { accessToken: SECRET.token, expiresAt: '2025-01-01T00:30:00.000Z', scopes: [] } });
    const http = settings();
    await clientWithStore(store, http).request({ method: 'GET', path: '/webhooks/w1', retry: 'idempotent' });
    const trace = stableTrace(http.lines);
    expect(trace).toMatch(
      /^GET https:\/\/acme\.myprotime\.eu\/connector\/protimeapi\/api\/v1\/webhooks\/w1 failed: .*socket hang up \(N ms\)$/m,
    );
    expect(trace).toContain('retry 1/3 of GET https://acme.myprotime.eu/connector/protimeapi/api/v1/webhooks/w1 in 100 ms');
    expect(trace).toContain('webhooks/w1 -> 200 (N ms)');
    expect(trace).not.toContain(SECRET.token);
  });

  it('hides secrets in a JSON answer sent with a text content type', async () => {
    const store = await storeWithProfile();
    nock(AUTH_ORIGIN)
      .post(TOKEN_PATH)
      .reply(200, JSON.stringify(tokenAnswer(SECRET.token)), { 'content-type': 'text/plain' });
    const http = settings();
    await cliError(clientWithStore(store, http).request({ method: 'GET', path: '/webhooks', retry: 'idempotent' }));
    expect(http.lines.join('\n')).toContain('-> 200');
    expect(http.lines.filter((line) => line.includes(SECRET.token))).toEqual([]);
  });

  it('says when it renews the token after a 401, and hides both tokens', async () => {
    const store = await storeWithProfile({ token: { accessToken: SECRET.token, expiresAt: '2025-01-01T00:30:00.000Z', scopes: [] } });
    api().get(WEBHOOKS).reply(401);
    mockToken(SECRET.token2);
    api().get(WEBHOOKS).reply(200, { value: [] });
    const http = settings();
    await clientWithStore(store, http).request({ method: 'GET', path: '/webhooks', retry: 'idempotent' });
    expect(http.lines).toContain('401: fetching a new token and trying once more');
    expect(
      http.lines.filter((line) => line.includes(SECRET.token) || line.includes(SECRET.token2) || line.includes(SECRET.client)),
    ).toEqual([]);
  });
});

describe('redaction helpers', () => {
  it('keeps the scheme of an Authorization header and hides the credential', () => {
    expect(redactHeaders({ authorization: `Bearer ${SECRET.token}`, accept: 'application/json' })).toEqual({
      authorization: 'Bearer [redacted]',
      accept: 'application/json',
    });
  });

  it('hides secret fields at any depth, in any spelling, and leaves the rest', () => {
    const body = {
      id: 'w1',
      key: 'k1',
      nested: { privateKey: 'k2', private_key: 'k3', webhookKey: 'k4', Secret: 'k5', list: [{ client_secret: 'k6', refresh_token: 'k7' }] },
      keyword: 'not a secret',
    };
    expect(redactBody(body)).toEqual({
      id: 'w1',
      key: '[redacted]',
      nested: {
        privateKey: '[redacted]',
        private_key: '[redacted]',
        webhookKey: '[redacted]',
        Secret: '[redacted]',
        list: [{ client_secret: '[redacted]', refresh_token: '[redacted]' }],
      },
      keyword: 'not a secret',
    });
    expect(body.key).toBe('k1');
  });

  it('scrubs every registered secret from text, but ignores values too short to be secrets', () => {
    const scrubber = new SecretScrubber();
    scrubber.add(SECRET.webhookKey);
    scrubber.add('abc');
    scrubber.add(undefined);
    expect(scrubber.scrub(`key=${SECRET.webhookKey} again ${SECRET.webhookKey} abc`)).toBe('key=[redacted] again [redacted] abc');
  });
});
