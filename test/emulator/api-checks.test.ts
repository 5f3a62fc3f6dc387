import { afterEach, describe, expect, it } from 'vitest';
import { api, closeAll, getToken, rawRequest, startTestEmulator } from './helpers.js';

afterEach(closeAll);

describe('emulator API request checks', () => {
  it('answers 401 in Protime error shape without a token', async () => {
    const emulator = await startTestEmulator();
    const response = await fetch(`${emulator.apiUrl}/webhooks`, { headers: { 'User-Agent': 'x/1' } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('Bearer');
    expect(await response.json()).toEqual({
      error: { code: 'Unauthorized', message: 'The Authorization header with a bearer token is missing', reasons: expect.any(Array) },
    });
  });

  it('answers 401 for a token it never issued', async () => {
    const emulator = await startTestEmulator();
    const answer = await api(emulator, 'made-up', 'GET', '/webhooks');
    expect(answer.status).toBe(401);
    expect(answer.body.error.message).toBe('The bearer token is not valid');
  });

  it('answers 400 when the User-Agent header is missing', async () => {
    const emulator = await startTestEmulator();
    const token = await getToken(emulator);
    const answer = await rawRequest(`${emulator.apiUrl}/webhooks`, 'GET', { Authorization: `Bearer ${token}` });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'BadRequest', message: 'The User-Agent header is required' });
  });

  it('answers 403 when a read-only token tries to create', async () => {
    const emulator = await startTestEmulator();
    const token = await getToken(emulator, 'connector-protimeapi-webhooks.read');
    const answer = await api(emulator, token, 'POST', '/webhooks', { destinationUrl: 'https://x.test/', collectionName: 'contracts' });
    expect(answer.status).toBe(403);
    expect(answer.body.error).toEqual({
      code: 'Forbidden',
      message: 'The token lacks the scope connector-protimeapi-webhooks.write',
      reasons: ['missing scope: connector-protimeapi-webhooks.write'],
    });
  });

  it('answers 403 when a write-only token lists', async () => {
    const emulator = await startTestEmulator();
    const token = await getToken(emulator, 'connector-protimeapi-webhooks.write');
    const answer = await api(emulator, token, 'GET', '/webhooks');
    expect(answer.status).toBe(403);
    expect(answer.body.error.reasons).toEqual(['missing scope: connector-protimeapi-webhooks.read']);
  });

  it('answers 404 for other API paths and 405 for other methods', async () => {
    const emulator = await startTestEmulator();
    const token = await getToken(emulator);
    expect((await api(emulator, token, 'GET', '/contracts')).body.error.code).toBe('NotFound');
    const put = await api(emulator, token, 'PUT', '/webhooks', {});
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, POST');
  });

  it('answers 414 for a URI longer than 4096 characters', async () => {
    const emulator = await startTestEmulator();
    const token = await getToken(emulator);
    const answer = await api(emulator, token, 'GET', `/webhooks?filter=${'a'.repeat(4100)}`);
    expect(answer.status).toBe(414);
    expect(answer.body.error.code).toBe('UriTooLong');
  });
});
