/**
 * Behind a proxy (nginx terminating TLS in front of the emulator, say) the links the emulator hands
 * out must point at the proxy: the client can only reach that. These requests carry the headers such
 * a proxy sends (Host, X-Forwarded-Proto, X-Forwarded-Host) over a raw socket, as a proxy would.
 */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { API_PATH } from '../../src/emulator/api.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { closeAll, createWebhook, getToken, startTestEmulator, UA } from './helpers.js';

afterEach(closeAll);

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/** A request to the emulator's own address with whatever Host and X-Forwarded-* a proxy would send. */
function viaProxy(
  emulator: RunningEmulator,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      `${emulator.url}${path}`,
      { method, agent: false, headers: { 'User-Agent': UA, ...(payload ? { 'Content-Type': 'application/json' } : {}), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : undefined });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const destination = { destinationUrl: 'https://example.test/hook', collectionName: 'contracts' };

describe('links honour the Host and X-Forwarded-* headers', () => {
  it.each([
    ['Host alone', { Host: 'hooks-emulator.test:8443' }, 'http://hooks-emulator.test:8443'],
    ['X-Forwarded-Proto https', { Host: 'protime.test', 'X-Forwarded-Proto': 'https' }, 'https://protime.test'],
    [
      'X-Forwarded-Host over Host, first of a list',
      { Host: '127.0.0.1:1', 'X-Forwarded-Proto': 'https, http', 'X-Forwarded-Host': 'front.test, inner.test' },
      'https://front.test',
    ],
    ['an IPv6 Host', { Host: '[::1]:9443', 'X-Forwarded-Proto': 'HTTPS' }, 'https://[::1]:9443'],
  ])('%s: Location of a create and nextLink of a list', async (_name, headers, origin) => {
    const emulator = await startTestEmulator({ pageSize: 1 });
    const token = await getToken(emulator);
    await createWebhook(emulator, token);
    const auth = { Authorization: `Bearer ${token}`, ...headers };

    const created = await viaProxy(emulator, 'POST', `${API_PATH}/webhooks`, auth, destination);
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe(`${origin}${API_PATH}/webhooks/${created.body.id}`);

    const page = await viaProxy(emulator, 'GET', `${API_PATH}/webhooks`, auth);
    expect(page.status).toBe(200);
    expect(page.body.nextLink).toBe(`${origin}${API_PATH}/webhooks?$skiptoken=1`);

    const discovery = await viaProxy(emulator, 'GET', `/tenants/${emulator.tenant}/.well-known/openid-configuration`, headers);
    expect(discovery.body.token_endpoint).toBe(`${origin}/tenants/${emulator.tenant}/connect/token`);
  });

  it.each([
    ['a scheme other than http(s)', { 'X-Forwarded-Proto': 'javascript' }],
    ['a path smuggled into the host', { 'X-Forwarded-Host': 'evil.test/phish' }],
    ['credentials in the host', { 'X-Forwarded-Host': 'user:pass@evil.test' }],
  ])('ignores %s: the link keeps the address the emulator listens on', async (_name, headers) => {
    const emulator = await startTestEmulator({ pageSize: 1 });
    const token = await getToken(emulator);
    await createWebhook(emulator, token);
    await createWebhook(emulator, token);
    // Host is what the socket was opened to (node:http sets it): the emulator's own address.
    const page = await viaProxy(emulator, 'GET', `${API_PATH}/webhooks`, { Authorization: `Bearer ${token}`, ...headers });
    expect(page.body.nextLink).toBe(`${emulator.apiUrl}/webhooks?$skiptoken=1`);
  });

  it('without the headers, links are as before: the address it listens on', async () => {
    const emulator = await startTestEmulator({ pageSize: 1 });
    const token = await getToken(emulator);
    await createWebhook(emulator, token);
    const created = await viaProxy(emulator, 'POST', `${API_PATH}/webhooks`, { Authorization: `Bearer ${token}` }, destination);
    expect(created.headers.location).toBe(`${emulator.apiUrl}/webhooks/${created.body.id}`);
  });
});
