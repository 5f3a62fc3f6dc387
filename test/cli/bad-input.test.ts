import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { makeRecord, NOW, seedStore } from '../helpers/protime.js';

const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__'];
const BAD_PROFILES = [...PROTOTYPE_NAMES, '../other', 'a b', '-dash-first', 'x'.repeat(65), 'naïve', 'tab\there', 'line\nbreak', '.hidden'];
const BAD_IDS = [...PROTOTYPE_NAMES, '../../etc/passwd', 'a/b', 'x y', 'x'.repeat(129), 'id\nforged log line', 'semi;colon', 'q?x=1'];

const BAD_USER_AGENTS = [
  '',
  'Acme/1.0/2',
  'Acme/1.0 (unclosed',
  'Acme/1.0\nX-Injected: 1',
  'Acme/1.0 ',
  'Açme/1.0',
  '(Acme)',
  'x'.repeat(300),
];
const BAD_URLS = [
  ['not a url', 'bad-url'],
  ['https://', 'bad-url'],
  ['https://exa mple.com/x', 'bad-url'],
  ['https://h.example/\nX: forged', 'bad-url'],
  ['ftp://acme.example/api', 'insecure-url'],
  ['http://acme.example/api', 'insecure-url'],
  ['https://user:pw@acme.example/api', 'url-credentials'],
];
const LOGIN = ['login', '--tenant', 'acme', '--client-id', 'c', '--client-secret-stdin'];
// Made here, not with tempDir(): that one is removed after the first test.
const GARBAGE_DIR = mkdtempSync(join(tmpdir(), 'ph-ca-'));
afterAll(() => rmSync(GARBAGE_DIR, { recursive: true, force: true }));
const PEM_GARBAGE = join(GARBAGE_DIR, 'garbage.pem');
writeFileSync(PEM_GARBAGE, '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n');
/** `store import --from` documents that are not a store export, or not one to trust. */
const EXPORT_HEAD = {
  format: 'protime-hooks-state',
  formatVersion: 1,
  secrets: 'included',
  exportedAt: '2026-06-01T12:00:00Z',
  source: 'x',
};
const BAD_IMPORTS = Object.entries({
  'not-json': '{"format": "protime-hooks-state",',
  'not-an-export': JSON.stringify({ schemaVersion: 1, profiles: {}, subscriptions: {} }),
  'newer-format': JSON.stringify({ ...EXPORT_HEAD, formatVersion: 2, profiles: {}, subscriptions: {} }),
  'prototype-profile': `{"format":"protime-hooks-state","formatVersion":1,"secrets":"omitted","profiles":{"__proto__":{"polluted":true}},"subscriptions":{}}`,
  'prototype-record': `{"format":"protime-hooks-state","formatVersion":1,"secrets":"omitted","profiles":{},"subscriptions":{"default":{"__proto__":{"polluted":true}}}}`,
  'bad-profile': JSON.stringify({ ...EXPORT_HEAD, profiles: { default: { tenant: 'acme' } }, subscriptions: {} }),
  'misfiled-record': JSON.stringify({
    ...EXPORT_HEAD,
    profiles: {},
    subscriptions: {
      default: {
        'wh-9': {
          id: 'wh-1',
          collection: 'contracts',
          destinationUrl: 'https://h.example/x',
          externalReferences: [],
          key: null,
          validUntil: 'x',
          createdAt: 'x',
          status: 'Enabled',
        },
      },
    },
  }),
}).map(([name, content]) => {
  const path = join(GARBAGE_DIR, `${name}.json`);
  writeFileSync(path, content);
  return path;
});

/** Runs argv against a seeded store and checks the answer is a clean usage error that changed nothing. */
async function expectUsageError(argv: string[], code: string, env: Record<string, string> = {}) {
  const dir = tempDir();
  await seedStore(dir, { records: [makeRecord({ id: 'wh-1' })] });
  const before = readFileSync(join(dir, 'state.json'));
  const result = await runCli([...argv, '--config-dir', dir], { now: NOW, env });
  expect(result.code, result.stderr).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(/^\[error\] /);
  expect(result.stderr).not.toMatch(/\n\s+at \S/);
  expect(result.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
  expect(readFileSync(join(dir, 'state.json')).equals(before)).toBe(true);
  const json = await runCli([...argv, '--json', '--config-dir', dir], { now: NOW, env });
  expect(json.code).toBe(2);
  expect(json.json().error.code).toBe(code);
  expect(Object.prototype).not.toHaveProperty('polluted');
}

describe('bad input is a usage error that changes nothing', () => {
  it.each(
    BAD_PROFILES.flatMap((name) => [
      ['--profile', name, 'status', '--offline'],
      ['--profile', name, 'login', '--tenant', 'acme', '--client-id', 'c', '--client-secret-stdin'],
      ['--profile', name, 'unsubscribe', 'wh-1', '--yes'],
    ]),
  )('%j', async (...argv) => {
    await expectUsageError(argv, 'bad-profile');
  });

  it.each(BAD_PROFILES)('PROTIME_PROFILE=%j', async (name) => {
    await expectUsageError(['keys'], 'bad-profile', { PROTIME_PROFILE: name });
  });

  it.each([
    ...['999999999d', '0d', '7x', '', '-3d', '1.5d', '3650w'].flatMap((value) => [
      [['status', '--offline', '--renew-within', value], 'bad-duration'],
      [['renew', '--renew-within', value], 'bad-duration'],
      [['subscribe', 'contracts', '--url', 'https://h.example/x', '--wait', value], 'bad-duration'],
      [['renew', '--hook-timeout', value], 'bad-duration'],
      [['renew', '--random-delay', value], 'bad-duration'],
    ]),
    ...['0', '65', '-1', 'many', '2.5'].map((value) => [['renew', '--concurrency', value], 'bad-number']),
    [['keys', '--all-profiles', '--output', '/tmp/k.json'], 'usage'],
    ...['70000', '65536', '-1', 'abc', '1e3', '80.5'].flatMap((value) => [
      [['listen', '--port', value], 'bad-number'],
      [['emulator', '--port', value], 'bad-number'],
    ]),
    ...['0', '2000000', 'x'].map((value) => [['emulator', 'trigger', 'contracts', '--count', value], 'bad-number']),
    ...['often', '0ms', '-5ms'].map((value) => [['emulator', 'trigger', 'contracts', '--every', value], 'bad-duration']),
    [['login', '--tenant', 'acme', '--client-id', 'c', '--client-secret-file', '/dev/zero'], 'secret-too-long'],
    [['login', '--keys-file', '/tmp/k.json', '--keys-file-mode', '999', '--tenant', 'acme', '--client-id', 'c'], 'bad-mode'],
    [['listen', '--forward-to', 'ftp://app.example/x'], 'bad-url'],
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): no machine has it; .invalid never resolves (RFC 6761).
    [['listen', '--host', '192.0.2.1', '--port', '0'], 'bad-host'],
    [['listen', '--host', 'no-such-host.invalid', '--port', '0'], 'bad-host'],
    ...BAD_USER_AGENTS.map((ua) => [[...LOGIN, '--user-agent', ua], 'bad-user-agent']),
    ...BAD_URLS.flatMap(([url, code]) => [
      [[...LOGIN, '--api-url', url], code],
      [[...LOGIN, '--token-url', url], code],
      [['subscribe', 'contracts', '--url', url], code],
    ]),
    ...['/nonexistent/.env', '/dev/zero', '/'].map((path) => [['--env-file', path, 'status', '--offline'], 'env-file']),
    // Missing, a folder, empty, not PEM, a PEM block that does not parse.
    ...['/nonexistent/ca.pem', '/', '/dev/null', '/etc/hostname', PEM_GARBAGE].map((path) => [
      [...LOGIN, '--ca-file', path],
      'bad-ca-file',
    ]),
    ...['', 'none', 'client_secret_basic', 'BASIC'].map((value) => [[...LOGIN, '--token-auth', value], 'usage']),
  ] as Array<[string[], string]>)('%j → %s', async (argv, code) => {
    await expectUsageError(argv, code);
  });

  it.each(BAD_USER_AGENTS)('PROTIME_USER_AGENT=%j', async (ua) => {
    // An empty variable means unset (the default User-Agent), as for every other variable.
    if (ua === '') return;
    await expectUsageError(LOGIN, 'bad-user-agent', { PROTIME_USER_AGENT: ua });
  });

  it('--json with no command prints one JSON usage error on stdout (exit 2)', async () => {
    const result = await runCli(['--json']);
    expect(result.code).toBe(2);
    expect(result.json().error).toMatchObject({ code: 'no-command', message: 'No command given.' });
  });

  it('a stored User-Agent HTTP would refuse is a usage error naming the profile, not a network failure', async () => {
    const dir = tempDir();
    const store = await seedStore(dir);
    await store.update((data) => {
      data.profiles.default!.userAgent = 'Acme/1.0 (Acme\r\nX-Injected: 1)';
    });
    const result = await runCli(['status', '--json', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(2);
    expect(result.json().error).toMatchObject({ code: 'bad-user-agent' });
    expect(result.json().error.message).toContain('Profile "default"');
  });

  it.each(['/nonexistent/ca.pem', '/dev/null'])('PROTIME_HOOKS_CA_FILE=%j names the file and the variable', async (path) => {
    await expectUsageError(['status'], 'bad-ca-file', { PROTIME_HOOKS_CA_FILE: path });
    const dir = tempDir();
    await seedStore(dir);
    const result = await runCli(['status', '--config-dir', dir], { now: NOW, env: { PROTIME_HOOKS_CA_FILE: path } });
    expect(result.stderr).toContain(`The CA file ${path} (PROTIME_HOOKS_CA_FILE)`);
  });

  it.each(['http://[bad', 'socks5://127.0.0.1:1080'])('HTTPS_PROXY=%j is a usage error that does not print the value', async (value) => {
    await expectUsageError(['status'], 'bad-proxy', { HTTPS_PROXY: value });
  });

  it('a token auth method saved by a newer version is a usage error naming it when a token is needed, not a post in disguise', async () => {
    const dir = tempDir();
    const store = await seedStore(dir, { token: false });
    await store.update((data) => {
      data.profiles.default!.tokenAuth = 'private_key_jwt';
    });
    const result = await runCli(['status', '--json', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(2);
    expect(result.json().error).toMatchObject({ code: 'bad-token-auth' });
    expect(result.json().error.message).toContain('"private_key_jwt"');
  });

  it.each([
    'short',
    'x'.repeat(44),
    randomBytes(32).toString('hex'),
    randomBytes(16).toString('base64'),
    randomBytes(33).toString('base64'),
  ])('PROTIME_HOOKS_STORE_KEY=%j is a usage error naming the variable, never the value', async (value) => {
    for (const argv of [['status', '--offline'], ['keys'], ['store', 'migrate'], ['store', 'export', '--include-secrets']]) {
      await expectUsageError(argv, 'bad-store-key', { PROTIME_HOOKS_STORE_KEY: value });
    }
    const dir = tempDir();
    const result = await runCli(['keys', '--config-dir', dir], { env: { PROTIME_HOOKS_STORE_KEY: value } });
    expect(result.stderr).toContain('PROTIME_HOOKS_STORE_KEY must be 32 random bytes in base64');
    expect(result.stderr).not.toContain(value);
  });

  it.each([...BAD_IMPORTS, '/nonexistent/export.json', '/'])(
    'store import --from %s is refused before anything is written',
    async (path) => {
      await expectUsageError(['store', 'import', '--from', path], 'bad-import');
    },
  );

  it('store import of more than 64 MiB is refused, not read on forever', async () => {
    await expectUsageError(['store', 'import', '--from', '/dev/zero'], 'import-too-large');
  });

  it.each(['1e9', '3000000', '601', '0', '-5', 'soon'])('PROTIME_HOOKS_TIMEOUT=%j', async (value) => {
    await expectUsageError(['status', '--offline'], 'bad-timeout', { PROTIME_HOOKS_TIMEOUT: value });
  });

  it('a client secret on stdin longer than 64 KiB is refused, not read on forever', async () => {
    const dir = tempDir();
    const result = await runCli(['login', '--tenant', 'acme', '--client-id', 'c', '--client-secret-stdin', '--json', '--config-dir', dir], {
      stdin: 'x'.repeat(70_000),
    });
    expect(result.code).toBe(2);
    expect(result.json().error.code).toBe('secret-too-long');
  });

  it.each(
    BAD_IDS.flatMap((id) => [
      ['unsubscribe', id, '--yes'],
      ['renew', id],
    ]),
  )('%j', async (...argv) => {
    await expectUsageError(argv, 'bad-id');
  });
});
