import { afterEach, describe, expect, it } from 'vitest';
import { api, closeAll, getToken, requestToken, startTestEmulator, testClock, UA, WEBHOOK_SCOPES } from './helpers.js';

afterEach(closeAll);

describe('emulator token endpoint', () => {
  it('issues a bearer token with the granted scopes and the configured lifetime', async () => {
    const emulator = await startTestEmulator({ tokenTtlSeconds: 900 });
    const { status, body } = await requestToken(emulator);
    expect(status).toBe(200);
    expect(body).toEqual({ access_token: expect.any(String), expires_in: 900, token_type: 'Bearer', scope: WEBHOOK_SCOPES });
    expect((body.access_token as string).split('.')).toHaveLength(3);
    expect(emulator.tokenUrl).toBe(`${emulator.url}/tenants/demo/connect/token`);
  });

  it('grants every known scope when none is asked for', async () => {
    const emulator = await startTestEmulator();
    const { body } = await requestToken(emulator, { scope: '' });
    const scopes = (body.scope as string).split(' ');
    expect(scopes).toContain('connector-protimeapi-webhooks.write');
    expect(scopes).toContain('connector-protimeapi-work-interruptions.read');
    expect(scopes).toHaveLength(38);
  });

  it('accepts client credentials sent with HTTP Basic', async () => {
    const emulator = await startTestEmulator();
    const response = await fetch(emulator.tokenUrl, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: `Basic ${Buffer.from('demo:demo-secret').toString('base64')}`,
      },
      body: 'grant_type=client_credentials&scope=connector-protimeapi-webhooks.read',
    });
    expect(response.status).toBe(200);
  });

  it.each([
    ['a wrong secret', { client_secret: 'nope' }],
    ['an unknown client', { client_id: 'someone' }],
  ])('answers 401 invalid_client for %s', async (_label, fields) => {
    const emulator = await startTestEmulator();
    const { status, body } = await requestToken(emulator, fields);
    expect(status).toBe(401);
    expect(body).toEqual({ error: 'invalid_client', error_description: expect.stringContaining('Client authentication failed') });
  });

  it('answers 404 for another tenant', async () => {
    const emulator = await startTestEmulator({ tenant: 'acme' });
    const response = await fetch(`${emulator.url}/tenants/other/connect/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=demo&client_secret=demo-secret',
    });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'invalid_request', error_description: "Unknown tenant 'other'" });
  });

  it('answers 400 unsupported_grant_type for other grants', async () => {
    const emulator = await startTestEmulator();
    const { status, body } = await requestToken(emulator, { grant_type: 'password' });
    expect(status).toBe(400);
    expect(body.error).toBe('unsupported_grant_type');
  });

  it('answers 400 invalid_scope naming the unknown scope', async () => {
    const emulator = await startTestEmulator();
    const { status, body } = await requestToken(emulator, {
      scope: 'connector-protimeapi-webhooks.read connector-protimeapi-payroll.read',
    });
    expect(status).toBe(400);
    expect(body).toEqual({ error: 'invalid_scope', error_description: 'Unknown scope: connector-protimeapi-payroll.read' });
  });

  it('answers 400 invalid_request for a JSON body', async () => {
    const emulator = await startTestEmulator();
    const response = await fetch(emulator.tokenUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_request');
  });

  it('lets a token expire by the emulator clock', async () => {
    const clock = testClock();
    const emulator = await startTestEmulator({ now: clock.now, tokenTtlSeconds: 60 });
    const token = await getToken(emulator);
    expect((await api(emulator, token, 'GET', '/webhooks')).status).toBe(200);
    clock.advance(60);
    const expired = await api(emulator, token, 'GET', '/webhooks');
    expect(expired.status).toBe(401);
    expect(expired.body.error.message).toBe('The bearer token has expired');
  });

  it('serves an OpenID discovery document naming the token endpoint', async () => {
    const emulator = await startTestEmulator();
    const response = await fetch(`${emulator.url}/tenants/demo/.well-known/openid-configuration`, { headers: { 'User-Agent': UA } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { token_endpoint: string };
    expect(body.token_endpoint).toBe(emulator.tokenUrl);
  });
});
