// A real forward proxy (tinyproxy from Debian) between the built binary and the emulator; its log
// proves which requests went through it. Skipped, saying why, only where tinyproxy is not installed.
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sign } from '../../src/shared/signature.js';
import { makeRecord, seedStore } from '../helpers/protime.js';
import { BinaryProcess, CliUser, EmulatorProcess, expectExit, freePort, makeTempDir, removeTempDirs, stopAll } from './emulator-process.js';
import { issueCert, makeCa, stopNetworkServers, Tinyproxy, TlsFront, tinyproxyPath } from './network-helpers.js';

const missing = tinyproxyPath() === undefined;
if (missing) console.log('proxy tests skipped: tinyproxy is not installed (apt-get install tinyproxy; .ci/run does)');

const PROXY_USER = 'alice';
// tinyproxy's config accepts only letters, digits and '-' in a BasicAuth password.
const PROXY_PASSWORD = 'pr0xy-Pa55w0rd';
const PROXY_PASSWORD_IN_URL = PROXY_PASSWORD;

describe.skipIf(missing)('through a forward proxy (tinyproxy)', () => {
  let emulator: EmulatorProcess;
  let proxy: Tinyproxy;
  let front: TlsFront;
  let caFile: string;

  beforeAll(async () => {
    emulator = await EmulatorProcess.start();
    proxy = await Tinyproxy.start();
    const dir = makeTempDir('ph-proxy-tls-');
    const ca = makeCa(dir, 'ca');
    caFile = ca.certFile;
    front = await TlsFront.start(emulator.url, issueCert(dir, 'server', ['127.0.0.1'], ca));
  });
  afterEach(() => {
    front.connections = 0;
  });
  afterAll(async () => {
    await stopNetworkServers();
    await stopAll();
    removeTempDirs();
  });

  /** A user logged in to the emulator directly (http) or through the TLS front (https). */
  const loginArgs = (https: boolean) => emulator.loginArgs((url) => (https ? front.through(url, emulator.url) : url));

  const newRequests = (before: number) => proxy.requests().slice(before);

  it('http targets: the token request and the API requests are sent to the proxy (HTTP_PROXY, NO_PROXY unset)', async () => {
    const user = new CliUser(emulator);
    const env = { HTTP_PROXY: proxy.url };
    const before = proxy.requests().length;
    expectExit(await user.run([...loginArgs(false), '--json'], { env, stdin: `${emulator.info.clientSecret}\n` }), 0, 'login');
    expectExit(await user.run(['subscribe', 'contracts', '--url', 'http://127.0.0.1:9/proxy-hook', '--json'], { env }), 0, 'subscribe');
    expectExit(await user.run(['status', '--json'], { env }), 0, 'status');
    const seen = newRequests(before);
    const port = new URL(emulator.url).port;
    expect(seen).toContain(`POST http://127.0.0.1:${port}/tenants/${emulator.info.tenant}/connect/token HTTP/1.1`);
    expect(seen.filter((line) => line.startsWith(`POST http://127.0.0.1:${port}/connector/`))).toHaveLength(1);
    expect(seen.filter((line) => line.startsWith(`GET http://127.0.0.1:${port}/connector/`)).length).toBeGreaterThanOrEqual(2);
  });

  it('https targets: tunnelled with CONNECT through HTTPS_PROXY (lower case too), the CA file still trusted inside the tunnel', async () => {
    const user = new CliUser(emulator);
    const before = proxy.requests().length;
    const login = await user.run([...loginArgs(true), '--ca-file', caFile], {
      env: { https_proxy: proxy.url },
      stdin: `${emulator.info.clientSecret}\n`,
    });
    expectExit(login, 0, 'login');
    expectExit(await user.run(['status'], { env: { HTTPS_PROXY: proxy.url } }), 0, 'status');
    const connects = newRequests(before).filter((line) => line === `CONNECT ${new URL(front.url).host} HTTP/1.1`);
    expect(connects.length).toBeGreaterThanOrEqual(2);
    expect(newRequests(before).every((line) => line.startsWith('CONNECT '))).toBe(true);
  });

  it('NO_PROXY bypasses the proxy (the log shows nothing); HTTP_PROXY alone is not used for https, as in curl', async () => {
    const user = new CliUser(emulator);
    const before = proxy.requests().length;
    const envs: Array<Record<string, string>> = [
      { HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' },
      { HTTPS_PROXY: proxy.url, no_proxy: `localhost,127.0.0.1:${new URL(front.url).port}` },
      { HTTP_PROXY: proxy.url },
    ];
    for (const env of envs) {
      const run = await user.run([...loginArgs(true), '--ca-file', caFile, '--debug'], { env, stdin: `${emulator.info.clientSecret}\n` });
      expectExit(run, 0, `login with ${JSON.stringify(env)}`);
      if ('HTTPS_PROXY' in env) expect(run.stderr).toContain(`${front.url} direct (NO_PROXY)`);
    }
    expect(newRequests(before)).toEqual([]);
  });

  it('emulator trigger goes through the proxy too, with the proxy named in an --env-file', async () => {
    const user = new CliUser(emulator);
    const before = proxy.requests().length;
    const run = await user.run(['emulator', 'trigger', 'contracts', '--emulator-url', emulator.url, '--json'], {
      env: { HTTP_PROXY: proxy.url },
    });
    expectExit(run, 0, 'trigger');
    const envFile = join(makeTempDir('ph-envfile-'), 'proxy.env');
    writeFileSync(envFile, `HTTP_PROXY=${proxy.url}\n`);
    expectExit(await user.run(['--env-file', envFile, 'emulator', 'trigger', 'contracts', '--emulator-url', emulator.url]), 0, 'trigger');
    expect(newRequests(before)).toEqual(Array(2).fill(`POST ${emulator.url}/_emulator/events HTTP/1.1`));
  });

  it('listen --forward-to forwards a verified delivery through the proxy', async () => {
    const dir = makeTempDir('ph-listen-');
    await seedStore(dir, { records: [makeRecord({ key: 'forward-key-1' })] });
    let reached = 0;
    const app = createServer((_request, response) => {
      reached++;
      response.writeHead(202).end();
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    const appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}/app`;
    const port = await freePort();
    const listener = new BinaryProcess(
      ['listen', '--port', String(port), '--count', '1', '--forward-to', appUrl],
      { HOME: dir, PROTIME_HOOKS_CONFIG_DIR: dir, HTTP_PROXY: proxy.url },
      dir,
    );
    await listener.waitFor('stderr', /Listening|listening/);
    const before = proxy.requests().length;
    const body = '{"changeType":"InsertOrUpdate","data":{"changeVersion":"01"}}';
    const answer = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-protime-signature': sign('forward-key-1', body, 'sha256', 'base64') },
    });
    expect(answer.status).toBe(202);
    expect((await listener.waitForExit()).code).toBe(0);
    await new Promise((resolve) => app.close(resolve));
    expect(reached).toBe(1);
    expect(newRequests(before)).toEqual([`POST ${appUrl} HTTP/1.1`]);
  });

  it('a proxy that is down: exit 75 naming the proxy, since nothing goes direct', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const run = await new CliUser(emulator).run([...loginArgs(false), '--json'], {
      env: { HTTP_PROXY: dead, PROTIME_HOOKS_TIMEOUT: '5' },
      stdin: `${emulator.info.clientSecret}\n`,
    });
    expect(run.code, run.stderr).toBe(75);
    expect(run.json().error.message).toContain(`through the proxy ${dead}`);
  });

  describe('with proxy credentials (tinyproxy BasicAuth)', () => {
    let guarded: Tinyproxy;
    beforeAll(async () => {
      guarded = await Tinyproxy.start({ basicAuth: [PROXY_USER, PROXY_PASSWORD] });
    });

    const withCredentials = (password: string) => `http://${PROXY_USER}:${password}@127.0.0.1:${guarded.port}`;

    it('user:password in the proxy URL work for http and https, and are never printed, even under --debug', async () => {
      const user = new CliUser(emulator);
      const env = { HTTP_PROXY: withCredentials(PROXY_PASSWORD_IN_URL), HTTPS_PROXY: withCredentials(PROXY_PASSWORD_IN_URL) };
      const runs = [
        await user.run([...loginArgs(true), '--ca-file', caFile, '--debug'], { env, stdin: `${emulator.info.clientSecret}\n` }),
        await user.run(['status', '--debug', '--json'], { env }),
        await user.run(['emulator', 'trigger', 'contracts', '--emulator-url', emulator.url, '--debug'], { env }),
      ];
      for (const run of runs) expectExit(run, 0, 'a run through the guarded proxy');
      expect(runs[0]!.stderr).toContain(`[debug] ${front.url} via proxy http://127.0.0.1:${guarded.port}`);
      for (const run of runs) {
        for (const text of [run.stdout, run.stderr]) {
          expect(text).not.toContain(PROXY_PASSWORD);
          expect(text).not.toContain(PROXY_PASSWORD_IN_URL);
          expect(text).not.toContain(`${PROXY_USER}:`);
          expect(text).not.toContain(Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`).toString('base64'));
        }
      }
      expect(guarded.requests().some((line) => line.startsWith('CONNECT '))).toBe(true);
      expect(guarded.requests().some((line) => line.startsWith('POST http://'))).toBe(true);
    });

    it('a wrong password: exit 1 proxy-auth, not retried, the password not printed', async () => {
      const before = guarded.requests().length;
      const run = await new CliUser(emulator).run([...loginArgs(true), '--ca-file', caFile, '--json', '--debug'], {
        env: { HTTPS_PROXY: withCredentials('wrong-pw-77') },
        stdin: `${emulator.info.clientSecret}\n`,
      });
      expect(run.code, run.stderr).toBe(1);
      // tinyproxy answers a CONNECT without valid credentials with 401 (others say 407).
      expect(run.json().error).toMatchObject({ code: 'proxy-auth', status: 401 });
      expect(guarded.requests().slice(before)).toHaveLength(1);
      expect(run.stdout + run.stderr).not.toContain('wrong-pw-77');
    });
  });
});
