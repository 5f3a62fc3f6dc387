import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { send } from '../../src/protime/http.js';
import { API_ROOT, api, cliError, settings, UA } from './factories.js';

describe('send: what goes on the wire', () => {
  it('sends User-Agent and Accept JSON on a GET, and no body headers', async () => {
    const scope = api()
      .get(`/connector/protimeapi/api/v1/webhooks`)
      .matchHeader('user-agent', UA)
      .matchHeader('accept', 'application/json')
      .matchHeader('content-type', (value) => value === undefined)
      .matchHeader('authorization', (value) => value === undefined)
      .reply(200, { value: [] });
    const response = await send({ method: 'GET', url: `${API_ROOT}/webhooks`, retry: 'idempotent' }, settings());
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ value: [] });
    scope.done();
  });

  it('sends a JSON body with Content-Type JSON and the bearer token', async () => {
    let seenBody: unknown;
    api()
      .post('/connector/protimeapi/api/v1/webhooks', (body) => {
        seenBody = body;
        return true;
      })
      .matchHeader('content-type', 'application/json')
      .matchHeader('authorization', 'Bearer tok-123')
      .matchHeader('user-agent', UA)
      .reply(201, { ok: true });
    const response = await send(
      {
        method: 'POST',
        url: `${API_ROOT}/webhooks`,
        json: { destinationUrl: 'https://x.example', collectionName: 'people' },
        bearer: 'tok-123',
        retry: 'create',
      },
      settings(),
    );
    expect(response.status).toBe(201);
    expect(seenBody).toEqual({ destinationUrl: 'https://x.example', collectionName: 'people' });
  });

  it('form-encodes a form body', async () => {
    let raw = '';
    nock('https://authentication.myprotime.eu')
      .post('/tenants/acme/connect/token', (body) => {
        raw = typeof body === 'string' ? body : new URLSearchParams(body as Record<string, string>).toString();
        return true;
      })
      .matchHeader('content-type', 'application/x-www-form-urlencoded')
      .matchHeader('user-agent', UA)
      .reply(200, {});
    await send(
      {
        method: 'POST',
        url: 'https://authentication.myprotime.eu/tenants/acme/connect/token',
        form: { a: 'x y', b: '&=' },
        retry: 'idempotent',
      },
      settings(),
    );
    expect(Object.fromEntries(new URLSearchParams(raw))).toEqual({ a: 'x y', b: '&=' });
  });

  it('appends the query to the URL', async () => {
    api().get('/connector/protimeapi/api/v1/webhooks').query({ filter: "status eq 'Disabled'" }).reply(200, { value: [] });
    const response = await send(
      { method: 'GET', url: `${API_ROOT}/webhooks`, query: { filter: "status eq 'Disabled'" }, retry: 'idempotent' },
      settings(),
    );
    expect(response.status).toBe(200);
  });
});

describe('send: what comes back', () => {
  it('returns an error status as a response, for the caller to judge', async () => {
    api()
      .get('/connector/protimeapi/api/v1/webhooks/x')
      .reply(404, { error: { code: 'NotFound', message: 'no such webhook' } });
    const response = await send({ method: 'GET', url: `${API_ROOT}/webhooks/x`, retry: 'idempotent' }, settings());
    expect(response.status).toBe(404);
    expect(response.data).toEqual({ error: { code: 'NotFound', message: 'no such webhook' } });
  });

  it('gives an HTML page as text', async () => {
    api().get('/connector/protimeapi/api/v1/webhooks').reply(400, '<html><title>Bad</title></html>', { 'content-type': 'text/html' });
    const response = await send({ method: 'GET', url: `${API_ROOT}/webhooks`, retry: 'idempotent' }, settings());
    expect(response.data).toBe('<html><title>Bad</title></html>');
  });

  it('gives no data for a 204', async () => {
    api().delete('/connector/protimeapi/api/v1/webhooks/x').reply(204);
    const response = await send({ method: 'DELETE', url: `${API_ROOT}/webhooks/x`, retry: 'idempotent' }, settings());
    expect(response.status).toBe(204);
    expect(response.data).toBeUndefined();
  });
});

describe('send: timeout per request', () => {
  it('abandons a slow attempt after timeoutMs and retries an idempotent request', async () => {
    api()
      .get('/connector/protimeapi/api/v1/webhooks')
      .delay(500)
      .reply(200, { value: ['late'] });
    api().get('/connector/protimeapi/api/v1/webhooks').reply(200, { value: [] });
    const http = settings({ timeoutMs: 50 });
    const started = Date.now();
    const response = await send({ method: 'GET', url: `${API_ROOT}/webhooks`, retry: 'idempotent' }, http);
    expect(response.data).toEqual({ value: [] });
    expect(http.delays).toEqual([100]);
    expect(Date.now() - started).toBeLessThan(450);
  });

  it('fails with a temporary timeout error once every attempt timed out', async () => {
    api().get('/connector/protimeapi/api/v1/webhooks').times(4).delay(300).reply(200, {});
    const http = settings({ timeoutMs: 50 });
    const error = await cliError(
      send({ method: 'GET', url: `${API_ROOT}/webhooks`, retry: 'idempotent', purpose: 'listing webhooks' }, http),
    );
    expect(error.kind).toBe('temporary');
    expect(error.exitCode).toBe(75);
    expect(error.code).toBe('timeout');
    expect(error.message).toBe('Could not reach acme.myprotime.eu while listing webhooks: timed out after 50 ms.');
    expect(error.hint).toContain('PROTIME_HOOKS_TIMEOUT');
    expect(http.delays).toEqual([100, 200, 400]);
  });

  it('also times out a response whose body stalls after the headers', async () => {
    api()
      .get('/connector/protimeapi/api/v1/webhooks')
      .times(2)
      .delay({ body: 400 })
      .reply(200, { value: ['late'] });
    const http = settings({ timeoutMs: 50, maxRetries: 1 });
    const started = Date.now();
    const error = await cliError(send({ method: 'GET', url: `${API_ROOT}/webhooks`, retry: 'idempotent' }, http));
    expect(error.code).toBe('timeout');
    expect(http.delays).toEqual([100]);
    expect(Date.now() - started).toBeLessThan(350);
  });

  it('reports a dropped connection as a temporary network error after the retries', async () => {
    api()
      .get('/connector/protimeapi/api/v1/webhooks')
      .times(4)
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const http = settings();
    const error = await cliError(send({ method: 'GET', url: `${API_ROOT}/webhooks`, retry: 'idempotent' }, http));
    expect(error.kind).toBe('temporary');
    expect(error.code).toBe('network');
    expect(error.message).toMatch(/^Could not reach acme\.myprotime\.eu: .*socket hang up/);
    expect(http.delays).toEqual([100, 200, 400]);
  });
});
