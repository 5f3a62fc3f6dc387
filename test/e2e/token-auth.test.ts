// Token endpoint authentication against real servers, through the built binary: panva's
// oidc-provider (OpenID-certified) configured for client_secret_basic only; and, since
// oidc-provider accepts a Basic header whatever the client is registered for and refuses secrets
// outside RFC 6749's VSCHAR (printable ASCII), a small token server of our own that accepts only
// the form body, and one that accepts only Basic for a non-ASCII secret.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDirs } from './emulator-process.js';
import { runBinary } from './run-binary.js';

const SCOPE = 'connector-protimeapi-webhooks.read connector-protimeapi-webhooks.write';
// Every character RFC 6749 §2.3.1's form-encoding exists for: ':' (the Basic separator), '%', '+', space.
const CLIENT_ID = 'acme client:1';
const SECRET = 'a:b%c+d e/f~!%41';

const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  removeTempDirs();
});

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function login(tokenUrl: string, clientId: string, secret: string, extra: string[] = []) {
  const dir = makeTempDir('ph-auth-');
  return runBinary(
    ['login', '--tenant', 'acme', '--client-id', clientId, '--token-url', tokenUrl, '--api-url', 'http://127.0.0.1:9/api'].concat([
      '--client-secret-stdin',
      '--json',
      ...extra,
    ]),
    { env: { HOME: dir, PROTIME_HOOKS_CONFIG_DIR: dir }, stdin: `${secret}\n` },
  );
}

describe('oidc-provider with client_secret_basic only', () => {
  let tokenUrl: string;
  beforeAll(async () => {
    const origin = `http://127.0.0.1:${await freeishPort()}`;
    const provider = new Provider(origin, {
      clients: [
        {
          client_id: CLIENT_ID,
          client_secret: SECRET,
          grant_types: ['client_credentials'],
          redirect_uris: [],
          response_types: [],
          token_endpoint_auth_method: 'client_secret_basic',
          scope: SCOPE,
        },
      ],
      clientAuthMethods: ['client_secret_basic'],
      features: { clientCredentials: { enabled: true }, devInteractions: { enabled: false } },
      scopes: SCOPE.split(' '),
    });
    const server = createServer(provider.callback());
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(Number(new URL(origin).port), '127.0.0.1', resolve));
    tokenUrl = `${origin}/token`;
  });

  it('--token-auth basic logs in: the server decoded the form-encoded id and secret with : % + and spaces', async () => {
    const run = await login(tokenUrl, CLIENT_ID, SECRET, ['--token-auth', 'basic']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ tokenAuth: 'basic', scopes: SCOPE.split(' ') });
  });

  it('the default (post) is refused with invalid_client, exit 4, and a hint naming --token-auth basic', async () => {
    const run = await login(tokenUrl, CLIENT_ID, SECRET);
    expect(run.code, run.stderr).toBe(4);
    expect(run.json().error).toMatchObject({ code: 'credentials-rejected', status: 401 });
    expect(run.json().error.message).toContain('invalid_client');
    expect(run.json().error.hint).toContain('--token-auth basic');
  });

  it('a wrong secret with basic is still credentials-rejected, its hint naming post', async () => {
    const run = await login(tokenUrl, CLIENT_ID, `${SECRET}x`, ['--token-auth', 'basic']);
    expect(run.code, run.stderr).toBe(4);
    expect(run.json().error.hint).toContain('--token-auth post');
  });
});

/**
 * A token endpoint accepting one method only, decoding Basic as RFC 6749 §2.3.1 says (base64, split
 * at the first ':', form-decode each half); `invalid_client` for anything else.
 */
function oneMethodServer(method: 'post' | 'basic', clientId: string, secret: string): Server {
  return createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const form = new URLSearchParams(body);
      let id: string | null = null;
      let given: string | null = null;
      const header = request.headers.authorization;
      if (method === 'basic' && header?.startsWith('Basic ') && !form.has('client_secret')) {
        const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
        const at = decoded.indexOf(':');
        const formDecode = (text: string) => new URLSearchParams(`v=${text}`).get('v');
        [id, given] = [formDecode(decoded.slice(0, at)), formDecode(decoded.slice(at + 1))];
      } else if (method === 'post' && !header) {
        [id, given] = [form.get('client_id'), form.get('client_secret')];
      }
      const ok = id === clientId && given === secret && form.get('grant_type') === 'client_credentials';
      response.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify(ok ? { access_token: 'tok-1', expires_in: 600, token_type: 'Bearer', scope: SCOPE } : { error: 'invalid_client' }),
      );
    });
  });
}

describe('a token endpoint of our own that accepts one method only', () => {
  it('post only: --token-auth post works, basic fails with a hint naming post', async () => {
    const tokenUrl = `${await listen(oneMethodServer('post', CLIENT_ID, SECRET))}/token`;
    expect((await login(tokenUrl, CLIENT_ID, SECRET, ['--token-auth', 'post'])).code).toBe(0);
    const basic = await login(tokenUrl, CLIENT_ID, SECRET, ['--token-auth', 'basic', '--json']);
    expect(basic.code, basic.stderr).toBe(4);
    expect(basic.json().error.hint).toContain('--token-auth post');
  });

  it('basic only, a non-ASCII secret: UTF-8 then form-encoded, decoded back exactly', async () => {
    const secret = 'Zoë: 100% +ünïcødé € 秘密';
    const tokenUrl = `${await listen(oneMethodServer('basic', CLIENT_ID, secret))}/token`;
    const run = await login(tokenUrl, CLIENT_ID, secret, ['--token-auth', 'basic']);
    expect(run.code, run.stderr).toBe(0);
    expect((await login(tokenUrl, CLIENT_ID, secret)).code).toBe(4);
  });
});

/** oidc-provider needs its own origin (the issuer) before it listens, so the port is picked first. */
async function freeishPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
