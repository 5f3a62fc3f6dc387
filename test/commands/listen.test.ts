import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { sign, verify } from '../../src/shared/signature.js';
import { forEachBackend } from '../helpers/backends.js';
import { runCli } from '../helpers/cli.js';
import { makeRecord } from '../helpers/protime.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Posts until the listener is up (it starts asynchronously inside runCli). */
async function post(url: string, body: string, headers: Record<string, string>, method = 'POST'): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    try {
      return (await fetch(url, { method, body: method === 'POST' ? body : undefined, headers })).status;
    } catch (error) {
      if (attempt > 100) throw error;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

describe('signature', () => {
  it('verifies base64 and hex HMACs, in constant time, and rejects others', () => {
    const body = Buffer.from('{"changeType":"Delete"}');
    const b64 = sign('k1-secret', body, 'sha256', 'base64');
    // Computed independently: printf '%s' BODY | openssl dgst -sha256 -hmac k1-secret -binary | base64
    expect(b64).toBe('kL2SrHHwAcc/beaM1PNC478LqgO1HnRmO/VPbLSz4ko=');
    expect(verify('k1-secret', body, b64, 'sha256', 'base64')).toBe(true);
    expect(verify('k1-secret', body, `sha256=${sign('k1-secret', body, 'sha256', 'hex').toUpperCase()}`, 'sha256', 'hex')).toBe(true);
    expect(verify('k1-secret', body, sign('k1-secret', body, 'sha512', 'base64'), 'sha512', 'base64')).toBe(true);
    expect(verify('other-key', body, b64, 'sha256', 'base64')).toBe(false);
    expect(verify('k1-secret', Buffer.from('{"changeType":"Delete"} '), b64, 'sha256', 'base64')).toBe(false);
    expect(verify('k1-secret', body, '', 'sha256', 'base64')).toBe(false);
  });
});

forEachBackend('listen', (backend) => {
  it('answers 204 for a delivery signed with a held key and 401 otherwise, one NDJSON line each', async () => {
    const { dir } = backend;
    const record = makeRecord({ key: 'held-key-123456' });
    await backend.seed({ records: [record] });
    const port = await freePort();
    const running = backend.run(['listen', '--port', String(port), '--path', 'hook', '--count', '3', '--config-dir', dir]);
    const url = `http://127.0.0.1:${port}/hook`;
    const body = JSON.stringify({ changeType: 'InsertOrUpdate', data: { id: 7, changeVersion: '0000000000000000000A' } });

    expect(await post(`http://127.0.0.1:${port}/elsewhere`, body, {})).toBe(404);
    expect(await post(url, body, {}, 'GET')).toBe(405);
    expect(await post(url, body, { 'x-protime-signature': sign('held-key-123456', body, 'sha256', 'base64') })).toBe(204);
    expect(
      await post(url, body, { 'x-protime-signature': sign('wrong-key-999999', body, 'sha256', 'base64'), 'x-protime-webhook-id': 'w-1' }),
    ).toBe(401);
    expect(await post(url, body, {})).toBe(401);

    const result = await running;
    expect(result.code).toBe(0);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({
      subscriptionId: record.id,
      verified: true,
      changeType: 'InsertOrUpdate',
      changeVersion: '0000000000000000000A',
      event: { data: { id: 7 } },
    });
    expect(lines[1]).toMatchObject({ subscriptionId: 'w-1', verified: false });
    expect(lines[2]).toMatchObject({ subscriptionId: null, verified: false });
    expect(Date.parse(lines[0].receivedAt)).not.toBeNaN();
    expect(result.stderr).toContain('Stopped: 3 deliveries, 1 verified, 2 rejected.');
    expect(result.stderr).not.toContain('held-key-123456');
  });

  it('honours --signature-header, --algorithm and --encoding', async () => {
    const { dir } = backend;
    await backend.seed({ records: [makeRecord({ key: 'held-key-abcdef' })] });
    const port = await freePort();
    const running = backend.run([
      'listen',
      '--port',
      String(port),
      '--count',
      '1',
      '--signature-header',
      'X-Sig',
      '--algorithm',
      'sha512',
      '--encoding',
      'hex',
      '--config-dir',
      dir,
    ]);
    const body = '{"changeType":"Delete","data":{"changeVersion":"01"}}';
    expect(await post(`http://127.0.0.1:${port}/`, body, { 'x-sig': sign('held-key-abcdef', body, 'sha512', 'hex') })).toBe(204);
    expect((await running).stdout).toContain('"verified":true');
  });

  it('reports a port in use as a usage error', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const { port } = blocker.address() as { port: number };
    const { dir } = backend;
    await backend.seed();
    const result = await backend.run(['listen', '--port', String(port), '--config-dir', dir]);
    blocker.close();
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`Port ${port} is already in use`);
  });
});

/** The app behind --forward-to: records what reached it and answers with `status` after `delayMs`. */
async function startApp(status: number, delayMs = 0) {
  const seen: Array<{ body: Buffer; headers: IncomingHttpHeaders }> = [];
  const server = createHttpServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      seen.push({ body: Buffer.concat(chunks), headers: request.headers });
      setTimeout(() => response.writeHead(status).end('app body'), delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/app`, seen, close: () => new Promise((r) => server.close(r)) };
}

// Forwarding is the subject here, the store only hands over the key, as in 'listen' above, which runs on both backends.
forEachBackend(
  'listen --forward-to',
  (backend) => {
    const KEY = 'held-key-forward-1';

    it('forwards a verified delivery byte for byte with the webhook id, passes the app status back, and never forwards an unverified one', async () => {
      const { dir } = backend;
      const record = makeRecord({ key: KEY });
      await backend.seed({ records: [record] });
      const app = await startApp(202);
      const port = await freePort();
      const running = backend.run(['listen', '--port', String(port), '--count', '2', '--forward-to', app.url, '--config-dir', dir]);
      const url = `http://127.0.0.1:${port}/`;
      // Odd bytes on purpose: the body must reach the app exactly as signed.
      const body = '{"changeType":"InsertOrUpdate","data":{"changeVersion":"0B","name":"Zoë  \\u00e9"}}\n';
      const headers = { 'content-type': 'application/json; charset=utf-8', 'x-protime-signature': sign(KEY, body, 'sha256', 'base64') };
      expect(await post(url, body, headers)).toBe(202);
      expect(await post(url, body, { 'x-protime-signature': sign('not-the-key-0000', body, 'sha256', 'base64') })).toBe(401);
      const result = await running;
      await app.close();

      expect(app.seen).toHaveLength(1);
      expect(app.seen[0]!.body.equals(Buffer.from(body))).toBe(true);
      expect(app.seen[0]!.headers['x-protime-hooks-webhook-id']).toBe(record.id);
      expect(app.seen[0]!.headers['content-type']).toBe('application/json; charset=utf-8');
      const lines = result.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(lines[0]).toMatchObject({ verified: true, forwarded: { status: 202, ms: expect.any(Number) } });
      expect(lines[1]).toMatchObject({ verified: false, forwarded: null });
    });

    it('answers 502 when the app is down and 504 when it is slower than --forward-timeout', async () => {
      const { dir } = backend;
      await backend.seed({ records: [makeRecord({ key: KEY })] });
      const down = `http://127.0.0.1:${await freePort()}/app`;
      const body = '{"changeType":"Delete","data":{"changeVersion":"0C"}}';
      const headers = { 'x-protime-signature': sign(KEY, body, 'sha256', 'base64') };

      let port = await freePort();
      let running = backend.run(['listen', '--port', String(port), '--count', '1', '--forward-to', down, '--config-dir', dir]);
      expect(await post(`http://127.0.0.1:${port}/`, body, headers)).toBe(502);
      expect(JSON.parse((await running).stdout)).toMatchObject({ verified: true, forwarded: { status: 502 } });

      const slow = await startApp(200, 3000);
      port = await freePort();
      running = backend.run([
        'listen',
        '--port',
        String(port),
        '--count',
        '1',
        '--forward-to',
        slow.url,
        '--forward-timeout',
        '1s',
        '--config-dir',
        dir,
      ]);
      const started = Date.now();
      expect(await post(`http://127.0.0.1:${port}/`, body, headers)).toBe(504);
      expect(Date.now() - started).toBeLessThan(2500);
      expect(JSON.parse((await running).stdout)).toMatchObject({ forwarded: { status: 504 } });
      await slow.close();
    });

    it('refuses a 10 MB body with 413 without reading it into memory', async () => {
      const { dir } = backend;
      await backend.seed({ records: [makeRecord({ key: KEY })] });
      const app = await startApp(200);
      const port = await freePort();
      const running = backend.run(['listen', '--port', String(port), '--count', '1', '--forward-to', app.url, '--config-dir', dir]);
      const big = 'x'.repeat(10 * 1024 * 1024);
      expect(await post(`http://127.0.0.1:${port}/`, big, { 'x-protime-signature': 'irrelevant' })).toBe(413);
      // The listener still serves the next delivery.
      const body = '{"changeType":"Delete","data":{"changeVersion":"0D"}}';
      expect(await post(`http://127.0.0.1:${port}/`, body, { 'x-protime-signature': sign(KEY, body, 'sha256', 'base64') })).toBe(200);
      await running;
      await app.close();
      expect(app.seen).toHaveLength(1);
    });
  },
  ['file'],
);

describe('emulator trigger', () => {
  it('exits 75 when no emulator answers', async () => {
    const port = await freePort();
    const result = await runCli(['emulator', 'trigger', 'contracts', '--emulator-url', `http://127.0.0.1:${port}`, '--json']);
    expect(result.code).toBe(75);
    expect(result.json().error.code).toBe('emulator-unreachable');
  });

  it('takes --for only with --every, and intervals such as 100ms', async () => {
    const alone = await runCli(['emulator', 'trigger', 'contracts', '--for', '5s']);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('--for goes with --every');
    const bad = await runCli(['emulator', 'trigger', 'contracts', '--every', 'often']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--every takes an interval such as 100ms');
  });

  it('validates the collection before calling anything', async () => {
    const result = await runCli(['emulator', 'trigger', 'contrcts']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Did you mean "contracts"?');
  });
});

forEachBackend('keys', (backend) => {
  it('lists current keys and replaced ones until they expire, never unsubscribed or expired ones', async () => {
    const { NOW } = await import('../helpers/protime.js');
    const { dir } = backend;
    const current = makeRecord({ id: 'cur', destinationUrl: 'https://a.example/h', key: 'key-current-1' });
    const replaced = makeRecord({
      id: 'old',
      destinationUrl: 'https://a.example/h',
      key: 'key-replaced-1',
      replacedBy: 'cur',
      deletedAt: NOW.toISOString(),
    });
    const expired = makeRecord({ id: 'exp', key: 'key-expired-1', replacedBy: 'x', validUntil: '2026-05-01T00:00:00.000Z' });
    const unsubscribed = makeRecord({ id: 'gone', key: null, deletedAt: NOW.toISOString() });
    const people = makeRecord({ id: 'ppl', collection: 'people', destinationUrl: 'https://b.example/h', key: 'key-people-1' });
    await backend.seed({ records: [current, replaced, expired, unsubscribed, people] });
    const result = await backend.run(['keys', '--json', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(0);
    expect(result.json()).toEqual([
      {
        id: 'cur',
        collection: 'contracts',
        destinationUrl: 'https://a.example/h',
        key: 'key-current-1',
        validUntil: current.validUntil,
        current: true,
      },
      {
        id: 'old',
        collection: 'contracts',
        destinationUrl: 'https://a.example/h',
        key: 'key-replaced-1',
        validUntil: replaced.validUntil,
        current: false,
      },
      {
        id: 'ppl',
        collection: 'people',
        destinationUrl: 'https://b.example/h',
        key: 'key-people-1',
        validUntil: people.validUntil,
        current: true,
      },
    ]);
    const filtered = await backend.run(['keys', '--collection', 'people', '--json', '--config-dir', dir], { now: NOW });
    expect(filtered.json().map((k: { id: string }) => k.id)).toEqual(['ppl']);
  });
});
