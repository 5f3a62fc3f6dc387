import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { send } from '../../src/protime/http.js';
import { cliError, settings } from './factories.js';

const MiB = 1024 * 1024;
const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

/** A real server on 127.0.0.1 (fetch decompresses for real; nock would not stream). */
async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`;
}

// 256 MiB of zeros compress to about 256 KiB: a bomb that must be stopped at the cap.
const bomb = gzipSync(Buffer.alloc(256 * MiB), { level: 9 });

describe('answers are read with a cap, while they stream', () => {
  it.each([
    [
      'a declared Content-Length over the cap',
      (_req: unknown, res: import('node:http').ServerResponse) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(500 * MiB) });
        res.write('[');
      },
    ],
    [
      'an endless chunked body',
      (_req: unknown, res: import('node:http').ServerResponse) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        const pump = () => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once('drain', pump);
        };
        pump();
      },
    ],
    [
      'a gzip bomb (256 MiB inflated)',
      (_req: unknown, res: import('node:http').ServerResponse) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(bomb.length) });
        res.end(bomb);
      },
    ],
  ])('%s is refused (response-too-large, exit 1), not retried, memory bounded', async (_, handler) => {
    let requests = 0;
    const url = await serve((req, res) => {
      requests++;
      handler(req, res);
    });
    const before = process.memoryUsage().rss;
    const error = await cliError(send({ method: 'GET', url, retry: 'idempotent' }, settings({ maxBodyBytes: 1 * MiB })));
    const grown = process.memoryUsage().rss - before;
    expect(error.code).toBe('response-too-large');
    expect(error.kind).toBe('failure');
    expect(error.message).toContain('larger than 1 MiB');
    expect(requests).toBe(1);
    // Reading all of it would cost 256-500 MiB; the cap keeps growth to a few buffers.
    expect(grown).toBeLessThan(64 * MiB);
  });

  it('an answer under the cap is read whole, and a __proto__ key in it is dropped', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"value":[],"__proto__":{"polluted":true},"padding":"${'x'.repeat(512 * 1024)}"}`);
    });
    const response = await send({ method: 'GET', url, retry: 'idempotent' }, settings({ maxBodyBytes: 1 * MiB }));
    const data = response.data as Record<string, unknown>;
    expect(data.value).toEqual([]);
    expect((data.padding as string).length).toBe(512 * 1024);
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect(Object.hasOwn(data, '__proto__')).toBe(false);
  });
});
