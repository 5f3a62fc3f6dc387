import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type HttpSettings, send } from '../../src/protime/http.js';
import { settings } from './factories.js';

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('one 429 slows every worker of that origin', () => {
  it('a second request to the same origin waits out the Retry-After the first was told; another origin does not', async () => {
    let answered429 = false;
    const origin = await listen((_req, res) => {
      if (!answered429) {
        answered429 = true;
        res.writeHead(429, { 'retry-after': '2' }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    const other = await listen((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    const sleeps: number[] = [];
    // Sleeps are recorded, not slept: the gate's wait is what the second request asks for.
    const shared: HttpSettings = { ...settings(), sleep: async (ms) => void sleeps.push(ms), gate: new Map() };

    const first = await send({ method: 'GET', url: `${origin}/a`, retry: 'idempotent' }, shared);
    expect(first.status).toBe(200);
    expect(sleeps).toEqual([2000]); // its own retry, after Retry-After; the gate adds nothing for it

    await send({ method: 'GET', url: `${origin}/b`, retry: 'idempotent' }, shared);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[1]).toBeGreaterThan(1000);
    expect(sleeps[1]).toBeLessThanOrEqual(2000);

    // Another origin (another tenant) is not held back.
    await send({ method: 'GET', url: `${other}/c`, retry: 'idempotent' }, shared);
    expect(sleeps).toHaveLength(2);
  });
});
