import { afterEach, describe, expect, it, vi } from 'vitest';
import { backoff, type HttpRequest, retryAfterMs, send } from '../../src/protime/http.js';
import { API_BASE, API_ROOT, api, cliError, clientWithToken, settings } from './factories.js';

const WEBHOOKS = `${API_BASE}/webhooks`;
const get: HttpRequest = { method: 'GET', url: `${API_ROOT}/webhooks`, retry: 'idempotent' };
const del: HttpRequest = { method: 'DELETE', url: `${API_ROOT}/webhooks/w1`, retry: 'idempotent' };
const create: HttpRequest = {
  method: 'POST',
  url: `${API_ROOT}/webhooks`,
  json: { collectionName: 'people' },
  retry: 'create',
  purpose: 'creating the webhook',
};

function mockFor(request: HttpRequest) {
  const path = new URL(request.url).pathname;
  return request.method === 'GET' ? api().get(path) : request.method === 'DELETE' ? api().delete(path) : api().post(path);
}

afterEach(() => {
  vi.useRealTimers();
});

describe('backoff', () => {
  const base = { retryBaseMs: 100, maxDelayMs: 1_000 };

  it('doubles per attempt, scaled by a jitter factor in [0.5, 1.5)', () => {
    expect([0, 1, 2].map((n) => backoff(n, { ...base, random: () => 0.5 }))).toEqual([100, 200, 400]);
    expect([0, 1, 2].map((n) => backoff(n, { ...base, random: () => 0 }))).toEqual([50, 100, 200]);
    expect([0, 1, 2].map((n) => backoff(n, { ...base, random: () => 0.99 }))).toEqual([149, 298, 596]);
  });

  it('never exceeds maxDelayMs', () => {
    expect(backoff(5, { ...base, random: () => 0.5 })).toBe(1_000);
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it.each([
    ['seconds', '2', 2_000],
    ['fractional seconds', '1.5', 1_500],
    ['zero', '0', 0],
    ['an HTTP date', 'Wed, 01 Jan 2025 00:00:30 GMT', 30_000],
    ['an HTTP date in the past', 'Tue, 31 Dec 2024 23:59:00 GMT', 0],
    ['seconds above the cap', '3600', 60_000],
    ['a date above the cap', 'Thu, 02 Jan 2025 00:00:00 GMT', 60_000],
  ])('reads %s', (_label, value, expected) => {
    expect(retryAfterMs(value, now, 60_000)).toBe(expected);
  });

  it.each([[null], [''], ['soon']])('gives undefined for %j', (value) => {
    expect(retryAfterMs(value, now, 60_000)).toBeUndefined();
  });
});

describe('retry policy idempotent (GET, DELETE)', () => {
  describe.each([
    ['GET', get],
    ['DELETE', del],
  ])('%s', (_method, request) => {
    it.each([408, 429, 500, 502, 503, 504])(
      'retries %i with backoff, at most maxRetries times, then returns the last answer',
      async (status) => {
        mockFor(request)
          .times(4)
          .reply(status, { error: { code: 'Busy' } });
        const http = settings();
        const response = await send(request, http);
        expect(response.status).toBe(status);
        expect(http.delays).toEqual([100, 200, 400]);
      },
    );

    it('recovers when a retry succeeds', async () => {
      mockFor(request).reply(503);
      mockFor(request).reply(200, { ok: 1 });
      const http = settings();
      const response = await send(request, http);
      expect(response.status).toBe(200);
      expect(http.delays).toEqual([100]);
    });

    it('retries network errors', async () => {
      mockFor(request)
        .times(2)
        .replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
      mockFor(request).reply(200, {});
      const http = settings();
      expect((await send(request, http)).status).toBe(200);
      expect(http.delays).toEqual([100, 200]);
    });

    it.each([400, 401, 404, 409])('does not retry %i', async (status) => {
      mockFor(request).reply(status, {});
      const http = settings();
      expect((await send(request, http)).status).toBe(status);
      expect(http.delays).toEqual([]);
    });
  });

  it('applies the jitter from settings.random', async () => {
    mockFor(get).times(4).reply(500);
    const http = settings({ random: () => 0.25 });
    await send(get, http);
    expect(http.delays).toEqual([75, 150, 300]);
  });

  it('stops after settings.maxRetries', async () => {
    mockFor(get).times(2).reply(502);
    const http = settings({ maxRetries: 1 });
    expect((await send(get, http)).status).toBe(502);
    expect(http.delays).toEqual([100]);
  });

  it('waits Retry-After seconds instead of the backoff', async () => {
    mockFor(get).reply(429, {}, { 'Retry-After': '7' });
    mockFor(get).reply(200, {});
    const http = settings();
    await send(get, http);
    expect(http.delays).toEqual([7_000]);
  });

  it('waits until a Retry-After HTTP date', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2025-01-01T00:00:00Z'));
    mockFor(get).reply(503, {}, { 'Retry-After': 'Wed, 01 Jan 2025 00:00:04 GMT' });
    mockFor(get).reply(200, {});
    const http = settings();
    await send(get, http);
    expect(http.delays).toEqual([4_000]);
  });

  it('caps Retry-After at maxDelayMs', async () => {
    mockFor(get).reply(429, {}, { 'Retry-After': '120' });
    mockFor(get).reply(200, {});
    const http = settings({ maxDelayMs: 5_000 });
    await send(get, http);
    expect(http.delays).toEqual([5_000]);
  });

  it('falls back to the backoff when Retry-After is unreadable', async () => {
    mockFor(get).reply(429, {}, { 'Retry-After': 'later' });
    mockFor(get).reply(200, {});
    const http = settings();
    await send(get, http);
    expect(http.delays).toEqual([100]);
  });
});

describe('retry policy create (POST /webhooks)', () => {
  it.each([429, 503])('retries %i, where the server did nothing', async (status) => {
    mockFor(create).reply(status, {}, { 'Retry-After': '1' });
    mockFor(create).reply(201, { id: 'w1' });
    const http = settings();
    expect((await send(create, http)).status).toBe(201);
    expect(http.delays).toEqual([1_000]);
  });

  it('retries 429 at most maxRetries times', async () => {
    mockFor(create).times(4).reply(429);
    const http = settings();
    expect((await send(create, http)).status).toBe(429);
    expect(http.delays).toEqual([100, 200, 400]);
  });

  it.each([408, 500, 502, 504])('does not retry %i', async (status) => {
    mockFor(create).reply(status);
    const http = settings();
    expect((await send(create, http)).status).toBe(status);
    expect(http.delays).toEqual([]);
  });

  it('does not retry after a timeout, and says the webhook may exist', async () => {
    mockFor(create).delay(300).reply(201, {});
    const http = settings({ timeoutMs: 50 });
    const error = await cliError(send(create, http));
    expect(http.delays).toEqual([]);
    expect(error.kind).toBe('temporary');
    expect(error.code).toBe('create-timeout');
    expect(error.message).toBe('No answer while creating the webhook (timed out after 50 ms); the webhook may have been created anyway.');
    expect(error.hint).toContain('`protime-hooks status`');
  });

  it('does not retry after a dropped connection, and says the webhook may exist', async () => {
    mockFor(create).replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const http = settings();
    const error = await cliError(send(create, http));
    expect(http.delays).toEqual([]);
    expect(error.exitCode).toBe(75);
    expect(error.code).toBe('create-interrupted');
    expect(error.message).toMatch(
      /^No answer while creating the webhook \(.*socket hang up\); the webhook may have been created anyway\.$/,
    );
    expect(error.hint).toContain('`protime-hooks status`');
  });

  it.each([500, 502, 504])('turns a %i to POST /webhooks into a temporary error that says the webhook may exist', async (status) => {
    api()
      .post(WEBHOOKS)
      .reply(status, { error: { code: 'InternalError', message: 'boom' } });
    const http = settings();
    const error = await cliError(
      clientWithToken(http).request({ method: 'POST', path: '/webhooks', json: {}, retry: 'create', purpose: 'creating the webhook' }),
    );
    expect(http.delays).toEqual([]);
    expect(error.kind).toBe('temporary');
    expect(error.status).toBe(status);
    expect(error.message).toBe(
      `Protime answered ${status} InternalError while creating the webhook: boom; the webhook may have been created anyway`,
    );
    expect(error.hint).toContain('`protime-hooks status`');
  });

  it('after exhausting 503 retries, says only to try again later (503 means nothing was done)', async () => {
    api().post(WEBHOOKS).times(4).reply(503);
    const http = settings();
    const error = await cliError(
      clientWithToken(http).request({ method: 'POST', path: '/webhooks', json: {}, retry: 'create', purpose: 'creating the webhook' }),
    );
    expect(error.kind).toBe('temporary');
    expect(error.message).toBe('Protime answered 503 while creating the webhook');
    expect(error.hint).toBe('Try again later.');
  });
});
