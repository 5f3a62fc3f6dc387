import { execFileSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { basicCredentials } from '../../src/protime/auth.js';
import { forEachBackend } from '../helpers/backends.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { API_PATH, AUTH_ORIGIN, api, makeRecord, NOW, SCOPES, SECRET, TOKEN, TOKEN_PATH } from '../helpers/protime.js';

const BASE = ['login', '--tenant', 'acme', '--client-id', 'client-1'];

/** The token endpoint, asserting what the request carried. */
function tokenEndpoint(reply: { status?: number; body?: unknown } = {}, scope = SCOPES) {
  return nock(AUTH_ORIGIN)
    .matchHeader('user-agent', /^protime-hooks\/\d+\.\d+\.\d+$/)
    .matchHeader('content-type', 'application/x-www-form-urlencoded')
    .post(TOKEN_PATH, { grant_type: 'client_credentials', client_id: 'client-1', client_secret: SECRET, scope })
    .reply(reply.status ?? 200, (reply.body ?? { access_token: TOKEN, expires_in: 1800, token_type: 'Bearer', scope }) as nock.Body);
}

forEachBackend('login', (backend) => {
  it('proves the credentials, stores the profile, secret and token, and prints the profile', async () => {
    const { dir } = backend;
    tokenEndpoint();
    const result = await backend.run([...BASE, '--client-secret-stdin', '--json', '--config-dir', dir], { stdin: `${SECRET}\n`, now: NOW });
    expect(result.code).toBe(0);
    expect(result.json()).toEqual({
      profile: 'default',
      tenant: 'acme',
      environment: 'production',
      apiUrl: 'https://acme.myprotime.eu/connector/protimeapi/api/v1',
      tokenUrl: 'https://authentication.myprotime.eu/tenants/acme/connect/token',
      clientId: 'client-1',
      scopes: SCOPES.split(' '),
      tokenExpiresAt: '2026-06-01T12:30:00.000Z',
      keysFile: null,
      caFile: null,
      tokenAuth: 'post',
    });
    const stored = (await backend.read()).profiles.default!;
    expect(stored.clientSecret).toBe(SECRET);
    expect(stored.token?.accessToken).toBe(TOKEN);
    expect(result.stdout).not.toContain(SECRET);
    expect(result.stderr).toContain('Logged in to tenant acme');
  });

  it('reads the secret from a file, PROTIME_CLIENT_SECRET_FILE, or PROTIME_CLIENT_SECRET', async () => {
    const file = join(tempDir(), 'secret');
    writeFileSync(file, `${SECRET}\n`, { mode: 0o600 });
    for (const [args, env] of [
      [['--client-secret-file', file], {}],
      [[], { PROTIME_CLIENT_SECRET_FILE: file }],
      [[], { PROTIME_CLIENT_SECRET: SECRET }],
    ] as const) {
      tokenEndpoint();
      const result = await backend.run([...BASE, ...args, '--config-dir', backend.dir], { env, now: NOW });
      expect(result.code).toBe(0);
    }
  });

  it('takes tenant and client id from the environment and uses sandbox hosts', async () => {
    nock('https://authentication.myprotimesandbox.eu')
      .post('/tenants/acme/connect/token')
      .reply(200, { access_token: TOKEN, expires_in: 1800, scope: SCOPES });
    const result = await backend.run(['login', '--json', '--config-dir', backend.dir], {
      env: { PROTIME_TENANT: 'acme', PROTIME_CLIENT_ID: 'client-1', PROTIME_CLIENT_SECRET: SECRET, PROTIME_ENVIRONMENT: 'sandbox' },
      now: NOW,
    });
    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({ environment: 'sandbox', apiUrl: 'https://acme.myprotimesandbox.eu/connector/protimeapi/api/v1' });
  });

  it('refuses a secret given as a flag value without echoing it (exit 2)', async () => {
    const result = await backend.run([...BASE, '--client-secret', 'hunter2-secret', '--config-dir', backend.dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Refusing --client-secret');
    expect(result.stderr).toContain('--client-secret-stdin');
    expect(result.stderr).not.toContain('hunter2-secret');
  });

  it('never prompts under --no-input: a missing secret is a usage error naming the flags', async () => {
    const result = await backend.run([...BASE, '--no-input', '--json', '--config-dir', backend.dir], { tty: true });
    expect(result.code).toBe(2);
    expect(result.json().error.code).toBe('missing-secret');
    expect(result.json().error.hint).toContain('--client-secret-stdin');
  });

  it('names the missing flag when the tenant is absent', async () => {
    const result = await backend.run(['login', '--client-id', 'x', '--config-dir', backend.dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--tenant');
  });

  it('exits 4 and stores nothing when the credentials are rejected', async () => {
    const { dir } = backend;
    tokenEndpoint({ status: 400, body: { error: 'invalid_client', error_description: 'Unknown client or wrong secret' } });
    const result = await backend.run([...BASE, '--client-secret-stdin', '--json', '--config-dir', dir], { stdin: SECRET, now: NOW });
    expect(result.code).toBe(4);
    expect(result.json().error).toMatchObject({ code: 'credentials-rejected', status: 400 });
    expect(result.json().error.message).toContain('invalid_client: Unknown client or wrong secret');
    expect((await backend.read()).profiles).toEqual({});
  });

  it('exits 4 naming the scopes that were not granted, and stores nothing', async () => {
    const { dir } = backend;
    const wanted = `${SCOPES} connector-protimeapi-contracts.read`;
    nock(AUTH_ORIGIN)
      .post(TOKEN_PATH, (body) => body.scope === wanted)
      .reply(200, { access_token: TOKEN, expires_in: 1800, scope: 'connector-protimeapi-webhooks.read' });
    const result = await backend.run(
      [...BASE, '--scope', 'connector-protimeapi-contracts.read', '--client-secret-stdin', '--config-dir', dir],
      {
        stdin: SECRET,
        now: NOW,
      },
    );
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('not granted: connector-protimeapi-webhooks.write, connector-protimeapi-contracts.read');
    expect((await backend.read()).profiles).toEqual({});
  });

  it('accepts http only for loopback API URLs', async () => {
    const bad = await backend.run([...BASE, '--api-url', 'http://api.example.com', '--client-secret-stdin', '--config-dir', backend.dir], {
      stdin: SECRET,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--api-url must use https');
    nock('http://127.0.0.1:4010').post('/tenants/acme/connect/token').reply(200, { access_token: TOKEN, expires_in: 1800, scope: SCOPES });
    const good = await backend.run(
      [
        ...BASE,
        '--api-url',
        'http://127.0.0.1:4010/connector/protimeapi/api/v1',
        '--token-url',
        'http://127.0.0.1:4010/tenants/acme/connect/token',
        '--client-secret-stdin',
        '--json',
        '--config-dir',
        backend.dir,
      ],
      { stdin: SECRET, now: NOW },
    );
    expect(good.code).toBe(0);
    expect(good.json().apiUrl).toBe('http://127.0.0.1:4010/connector/protimeapi/api/v1');
  });

  it('sends a custom User-Agent and remembers it for the profile', async () => {
    const { dir } = backend;
    nock(AUTH_ORIGIN)
      .matchHeader('user-agent', 'AcmeSync/2.1 (Acme NV)')
      .post(TOKEN_PATH)
      .reply(200, { access_token: TOKEN, expires_in: 1800, scope: SCOPES });
    const result = await backend.run([...BASE, '--user-agent', 'AcmeSync/2.1 (Acme NV)', '--client-secret-stdin', '--config-dir', dir], {
      stdin: SECRET,
      now: NOW,
    });
    expect(result.code).toBe(0);
    expect((await backend.read()).profiles.default!.userAgent).toBe('AcmeSync/2.1 (Acme NV)');
  });

  it('refuses to move a profile holding subscriptions to another tenant', async () => {
    const { dir } = backend;
    await backend.seed({ records: [makeRecord()] });
    const result = await backend.run(['login', '--tenant', 'other', '--client-id', 'c', '--client-secret-stdin', '--config-dir', dir], {
      stdin: SECRET,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('holds 1 subscription(s) on tenant acme');
    expect(result.stderr).toContain('logout --purge');
    expect(result.stderr).toContain('--profile other');
  });

  it('refuses to point a profile holding subscriptions at another API URL or environment of the same tenant', async () => {
    const { dir } = backend;
    await backend.seed({ records: [makeRecord()] });
    const api = await backend.run(
      [...BASE, '--api-url', 'https://elsewhere.example/api', '--client-secret-stdin', '--json', '--config-dir', dir],
      {
        stdin: SECRET,
      },
    );
    expect(api.code).toBe(2);
    expect(api.json().error).toMatchObject({ code: 'profile-in-use' });
    expect(api.json().error.message).toContain('apiUrl https://elsewhere.example/api');
    const sandbox = await backend.run([...BASE, '--environment', 'sandbox', '--client-secret-stdin', '--json', '--config-dir', dir], {
      stdin: SECRET,
    });
    expect(sandbox.code).toBe(2);
    expect(sandbox.json().error.message).toContain('environment sandbox');
  });

  it('--token-auth basic and --ca-file are saved on the profile: later runs use them, login again keeps them, --no-ca-file drops it', async () => {
    const { dir } = backend;
    const ca = join(dir, 'ca.pem');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'ca.key')].concat([
        '-out',
        ca,
        '-days',
        '1',
        '-subj',
        '/CN=test CA',
      ]),
      { stdio: 'ignore' },
    );
    const basic = basicCredentials('client-1', SECRET);
    const basicToken = () =>
      nock(AUTH_ORIGIN)
        .matchHeader('authorization', basic)
        .post(TOKEN_PATH, (body) => !('client_secret' in body))
        .reply(200, { access_token: TOKEN, expires_in: 1800, scope: SCOPES });
    basicToken();
    const first = await backend.run(
      [...BASE, '--token-auth', 'basic', '--ca-file', ca, '--client-secret-stdin', '--json', '--config-dir', dir],
      { stdin: SECRET, now: NOW },
    );
    expect(first.code, first.stderr).toBe(0);
    expect(first.json()).toMatchObject({ tokenAuth: 'basic', caFile: ca });
    const store = backend.store();
    expect((await store.read()).profiles.default).toMatchObject({ tokenAuth: 'basic', caFile: ca });

    // A later command fetching a new token uses Basic too.
    await store.update((data) => {
      delete data.profiles.default!.token;
    });
    basicToken();
    api().get(`${API_PATH}/webhooks`).reply(200, { value: [] });
    expect((await backend.run(['status', '--config-dir', dir], { now: NOW })).code).toBe(0);

    basicToken();
    expect(
      (await backend.run([...BASE, '--client-secret-stdin', '--json', '--config-dir', dir], { stdin: SECRET, now: NOW })).json(),
    ).toMatchObject({ tokenAuth: 'basic', caFile: ca });
    tokenEndpoint();
    const dropped = await backend.run(
      [...BASE, '--token-auth', 'post', '--no-ca-file', '--client-secret-stdin', '--json', '--config-dir', dir],
      { stdin: SECRET, now: NOW },
    );
    expect(dropped.json()).toMatchObject({ tokenAuth: 'post', caFile: null });
    expect((await store.read()).profiles.default?.caFile).toBeUndefined();
  });

  it('prints key/value lines for people', async () => {
    tokenEndpoint();
    const result = await backend.run([...BASE, '--client-secret-stdin', '--config-dir', backend.dir], { stdin: SECRET, now: NOW });
    expect(result.stdout).toContain('tenant         acme\n');
    expect(result.stdout).toContain('token expires  2026-06-01T12:30:00.000Z\n');
  });
});

forEachBackend('logout', (backend) => {
  it('forgets the secret and token but keeps records and keys', async () => {
    const { dir } = backend;
    const record = makeRecord();
    await backend.seed({ records: [record] });
    const result = await backend.run(['logout', '--json', '--config-dir', dir]);
    expect(result.code).toBe(0);
    expect(result.json()).toEqual({ profile: 'default', loggedOut: true, purged: false });
    const data = await backend.read();
    expect(data.profiles.default!.clientSecret).toBeUndefined();
    expect(data.profiles.default!.token).toBeUndefined();
    expect(data.subscriptions.default![record.id]!.key).toBe(record.key);
  });

  it('--purge needs --yes when keys would be lost and there is no terminal', async () => {
    const { dir } = backend;
    await backend.seed({ records: [makeRecord()] });
    const refused = await backend.run(['logout', '--purge', '--config-dir', dir]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes');
    expect(Object.keys((await backend.read()).subscriptions.default!)).toHaveLength(1);
    const done = await backend.run(['logout', '--purge', '--yes', '--config-dir', dir]);
    expect(done.code).toBe(0);
    expect(await backend.read()).toMatchObject({ profiles: {}, subscriptions: {} });
  });

  it('--purge answered "no" on a terminal changes nothing and exits 0', async () => {
    const { dir } = backend;
    await backend.seed({ records: [makeRecord()] });
    const before = await backend.read();
    const result = await backend.run(['logout', '--purge', '--json', '--config-dir', dir], { tty: true, stdin: 'no\n' });
    expect(result.code).toBe(0);
    expect(result.json()).toEqual({ profile: 'default', loggedOut: false, purged: false });
    expect(result.stderr).toContain('Not purged');
    expect(await backend.read()).toEqual(before);
  });

  it('is a usage error for an unknown profile', async () => {
    const result = await backend.run(['logout', '--profile', 'ghost', '--config-dir', backend.dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('No profile named "ghost"');
  });
});

forEachBackend('profiles and collections', (backend) => {
  it('lists profiles with login state and token expiry', async () => {
    const { dir } = backend;
    await backend.seed({ records: [makeRecord()] });
    await backend.seed({ profile: 'staging', loggedIn: false });
    const result = await backend.run(['profiles', '--json', '--profile', 'staging', '--config-dir', dir]);
    expect(result.json()).toEqual([
      {
        name: 'default',
        tenant: 'acme',
        environment: 'production',
        clientId: 'client-1',
        apiUrl: 'https://acme.myprotime.eu/connector/protimeapi/api/v1',
        loggedIn: true,
        tokenExpiresAt: '2026-06-01T13:00:00.000Z',
        subscriptions: 1,
        current: false,
      },
      {
        name: 'staging',
        tenant: 'acme',
        environment: 'production',
        clientId: 'client-1',
        apiUrl: 'https://acme.myprotime.eu/connector/protimeapi/api/v1',
        loggedIn: false,
        tokenExpiresAt: null,
        subscriptions: 0,
        current: true,
      },
    ]);
  });

  it('prints [] when there are no profiles', async () => {
    const result = await backend.run(['profiles', '--json', '--config-dir', backend.dir]);
    expect(result.json()).toEqual([]);
  });

  it('lists the 18 collections', async () => {
    const result = await backend.run(['collections', '--json']);
    const list = result.json();
    expect(list).toHaveLength(18);
    expect(list).toContainEqual({ name: 'contracts', label: 'Contracts' });
    const human = await backend.run(['collections']);
    expect(human.stdout.split('\n')[0]).toMatch(/^NAME\s+LABEL$/);
    expect(human.stdout).toMatch(/^work-interruptions\s+Work interruptions$/m);
  });
});

// File-only: the modes of the config dir and of state.json are the file store's own.
describe('login on the file store', () => {
  it('keeps the state private: the config dir 0700, state.json 0600', async () => {
    const dir = tempDir();
    tokenEndpoint();
    expect((await runCli([...BASE, '--client-secret-stdin', '--config-dir', dir], { stdin: `${SECRET}\n`, now: NOW })).code).toBe(0);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'state.json')).mode & 0o777).toBe(0o600);
  });
});
