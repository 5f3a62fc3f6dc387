import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { isLoopbackAddress } from '../../src/emulator/index.js';
import { api, closeAll, control, createWebhook, getToken, requestToken, startTestEmulator, testClock } from './helpers.js';

afterEach(closeAll);

const WEBHOOKS_PATH = '/connector/protimeapi/api/v1/webhooks';

describe('emulator faults', () => {
  it('answers a status with Retry-After for count requests, then normally', async () => {
    const emulator = await startTestEmulator();
    const token = await getToken(emulator);
    const added = await control(emulator, 'POST', '/faults', { path: WEBHOOKS_PATH, status: 429, retryAfter: 60, count: 2 });
    expect(added.status).toBe(201);

    for (let i = 0; i < 2; i++) {
      const limited = await api(emulator, token, 'GET', '/webhooks');
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('60');
      expect(limited.body).toEqual({ error: { code: 'TooManyRequests', message: 'Injected fault: 429', reasons: [] } });
    }
    expect((await api(emulator, token, 'GET', '/webhooks')).status).toBe(200);
  });

  it('matches on method, and applies to the token endpoint with a custom body', async () => {
    const emulator = await startTestEmulator();
    await control(emulator, 'POST', '/faults', { method: 'post', path: '/tenants/', status: 503, body: 'maintenance' });
    const faulted = await fetch(emulator.tokenUrl, { method: 'POST' });
    expect(faulted.status).toBe(503);
    expect(await faulted.text()).toBe('maintenance');
    const again = await requestToken(emulator);
    expect(again.status).toBe(200);

    await control(emulator, 'POST', '/faults', { method: 'DELETE', path: WEBHOOKS_PATH, status: 500 });
    const list = await api(emulator, again.body.access_token as string, 'GET', '/webhooks');
    expect(list.status).toBe(200); // a GET does not use up the DELETE fault
    expect((await control(emulator, 'GET', '/faults')).body).toHaveLength(1);
  });

  it('delays by latencyMs and then answers normally', async () => {
    const emulator = await startTestEmulator();
    const token = await getToken(emulator);
    await control(emulator, 'POST', '/faults', { path: WEBHOOKS_PATH, latencyMs: 150 });
    const started = Date.now();
    const answer = await api(emulator, token, 'GET', '/webhooks');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(answer.status).toBe(200);
  });

  it('holdAnswerMs creates the webhook at once but holds the 201', async () => {
    const emulator = await startTestEmulator();
    const token = await getToken(emulator);
    await control(emulator, 'POST', '/faults', { method: 'POST', path: WEBHOOKS_PATH, holdAnswerMs: 300 });
    const started = Date.now();
    const pending = api(emulator, token, 'POST', '/webhooks', { destinationUrl: 'https://example.test/h', collectionName: 'contracts' });
    await new Promise((r) => setTimeout(r, 100));
    // Already on the server while its creator still waits for the answer.
    expect((await control(emulator, 'GET', '/webhooks')).body).toHaveLength(1);
    const answer = await pending;
    expect(answer.status).toBe(201);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('drops the connection without answering, and logs the request as dropped', async () => {
    const emulator = await startTestEmulator();
    const token = await getToken(emulator);
    await control(emulator, 'POST', '/faults', { path: WEBHOOKS_PATH, drop: true });
    await expect(api(emulator, token, 'GET', '/webhooks')).rejects.toThrow();
    const log = await control(emulator, 'GET', '/requests');
    expect(log.body.at(-1)).toMatchObject({ method: 'GET', path: WEBHOOKS_PATH, status: null });
  });

  it('clears faults and refuses a fault that does nothing', async () => {
    const emulator = await startTestEmulator();
    const token = await getToken(emulator);
    await control(emulator, 'POST', '/faults', { path: '/', status: 500, count: -1 });
    expect((await api(emulator, token, 'GET', '/webhooks')).status).toBe(500);
    expect((await api(emulator, token, 'GET', '/webhooks')).status).toBe(500);
    expect((await control(emulator, 'DELETE', '/faults')).status).toBe(204);
    expect((await api(emulator, token, 'GET', '/webhooks')).status).toBe(200);
    const bad = await control(emulator, 'POST', '/faults', { path: WEBHOOKS_PATH });
    expect(bad.status).toBe(400);
    expect(bad.body.error.reasons).toEqual(['a fault needs status, latencyMs, holdAnswerMs or drop']);
  });
});

describe('emulator control endpoints', () => {
  it('moves validUntil: a past date disables, and nothing comes back to life', async () => {
    const clock = testClock('2025-06-01T00:00:00Z');
    const emulator = await startTestEmulator({ now: clock.now });
    const token = await getToken(emulator);
    const webhook = await createWebhook(emulator, token);

    const moved = await control(emulator, 'POST', `/webhooks/${webhook.id}/valid-until`, { validUntil: '2025-06-02T12:00:00+02:00' });
    expect(moved.body).toMatchObject({ validUntil: '2025-06-02T10:00:00+00:00', status: 'Enabled' });
    await control(emulator, 'POST', `/webhooks/${webhook.id}/valid-until`, { validUntil: '2025-05-31T00:00:00Z' });
    expect((await api(emulator, token, 'GET', `/webhooks/${webhook.id}`)).body.status).toBe('Disabled');
    const revived = await control(emulator, 'POST', `/webhooks/${webhook.id}/valid-until`, { validUntil: '2026-01-01T00:00:00Z' });
    expect(revived.body.status).toBe('Disabled');

    expect((await control(emulator, 'POST', '/webhooks/nope/valid-until', { validUntil: '2026-01-01T00:00:00Z' })).status).toBe(404);
    expect((await control(emulator, 'POST', `/webhooks/${webhook.id}/valid-until`, { validUntil: 'soon' })).status).toBe(400);
  });

  it('logs API and token requests without secrets, and clears the log', async () => {
    const clock = testClock('2025-02-02T02:02:02Z');
    const emulator = await startTestEmulator({ now: clock.now });
    const token = await getToken(emulator);
    await fetch(`${emulator.tokenUrl}?client_secret=leaked`, { method: 'POST' });
    await api(emulator, token, 'GET', `/webhooks?filter=${encodeURIComponent("status eq 'Enabled'")}`);
    const log = await control(emulator, 'GET', '/requests');
    expect(log.body).toEqual([
      {
        at: '2025-02-02T02:02:02.000Z',
        method: 'POST',
        path: '/tenants/demo/connect/token',
        query: '',
        status: 200,
        receivedAt: '2025-02-02T02:02:02.000Z',
      },
      {
        at: '2025-02-02T02:02:02.000Z',
        method: 'POST',
        path: '/tenants/demo/connect/token',
        query: 'client_secret=***',
        status: 400,
        receivedAt: '2025-02-02T02:02:02.000Z',
      },
      {
        at: '2025-02-02T02:02:02.000Z',
        method: 'GET',
        path: WEBHOOKS_PATH,
        query: "filter=status%20eq%20'Enabled'",
        status: 200,
        receivedAt: '2025-02-02T02:02:02.000Z',
      },
    ]);
    expect(JSON.stringify(log.body)).not.toContain('leaked');
    expect((await control(emulator, 'DELETE', '/requests')).status).toBe(204);
    expect((await control(emulator, 'GET', '/requests')).body).toEqual([]);
  });

  it('sends one log line per request to the log option', async () => {
    const lines: string[] = [];
    const emulator = await startTestEmulator({ log: (line) => lines.push(line) });
    await getToken(emulator);
    expect(lines).toEqual([expect.stringMatching(/^POST \/tenants\/demo\/connect\/token 200 \d+ ms$/)]);
  });

  it('lists webhooks with keys, and reports health', async () => {
    const emulator = await startTestEmulator();
    const token = await getToken(emulator);
    const webhook = await createWebhook(emulator, token);
    const all = await control(emulator, 'GET', '/webhooks');
    expect(all.body).toEqual([expect.objectContaining({ id: webhook.id, key: webhook.key, status: 'Enabled' })]);
    expect((await control(emulator, 'GET', '/health')).body).toEqual({ ok: true });
    expect((await control(emulator, 'GET', '/nothing')).status).toBe(404);
  });

  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['192.0.2.2', false],
    ['::ffff:10.0.0.1', false],
    ['fd00::2', false],
    [undefined, false],
  ])('isLoopbackAddress(%s) is %s', (address, expected) => {
    expect(isLoopbackAddress(address)).toBe(expected);
  });

  const external = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

  it.skipIf(!external)('refuses control requests that arrive on a non-loopback address', async () => {
    const emulator = await startTestEmulator({ host: '0.0.0.0' });
    const port = new URL(emulator.url).port;
    // A raw socket: the test setup only lets HTTP clients reach loopback.
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), external!, () =>
        socket.end('GET /_emulator/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      );
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 403/);
    expect(reply).toContain('loopback callers only');
  });
});

describe('emulator credential controls', () => {
  it('revokes every issued token: the API answers 401 until a new token is fetched', async () => {
    const emulator = await startTestEmulator();
    const token = await getToken(emulator);
    expect((await api(emulator, token, 'GET', '/webhooks')).status).toBe(200);
    const revoked = await control(emulator, 'POST', '/tokens/revoke');
    expect(revoked.body).toEqual({ revoked: 1 });
    expect((await api(emulator, token, 'GET', '/webhooks')).status).toBe(401);
    expect((await api(emulator, await getToken(emulator), 'GET', '/webhooks')).status).toBe(200);
  });

  it('rotates the client secret: the old one is refused, the new one accepted', async () => {
    const emulator = await startTestEmulator();
    expect((await control(emulator, 'POST', '/client-secret', { clientSecret: 'rotated-secret' })).status).toBe(204);
    const old = await requestToken(emulator);
    expect(old.status).toBe(401);
    expect(old.body.error).toBe('invalid_client');
    expect((await requestToken(emulator, { client_secret: 'rotated-secret' })).status).toBe(200);
    expect((await control(emulator, 'POST', '/client-secret', { clientSecret: '' })).status).toBe(400);
  });
});
