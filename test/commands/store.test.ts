import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { forEachBackend } from '../helpers/backends.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { makeRecord, NOW, SECRET, seedStore, TOKEN } from '../helpers/protime.js';

const storeKey = () => randomBytes(32).toString('base64');
const stateOf = (dir: string) => readFileSync(join(dir, 'state.json'));

// File-only: the folder and state.json it creates are the file store's own.
describe('store migrate on the file store', () => {
  it('creates the folder and the file when absent and reports the format (exit 0)', async () => {
    const dir = join(tempDir(), 'new', 'protime-hooks');
    const result = await runCli(['store', 'migrate', '--json', '--config-dir', dir], { now: NOW });
    expect(result.code, result.stderr).toBe(0);
    expect(result.json()).toEqual({
      store: join(dir, 'state.json'),
      previousSchemaVersion: 1,
      schemaVersion: 1,
      encrypted: false,
      keyId: null,
    });
    expect(JSON.parse(stateOf(dir).toString('utf8'))).toEqual({ schemaVersion: 1, profiles: {}, subscriptions: {} });
  });
});

forEachBackend(
  'store migrate on PostgreSQL',
  (backend) => {
    it('names the database without its password, and writes no file in the config dir (exit 0)', async () => {
      const result = await backend.run(['store', 'migrate', '--json', '--config-dir', backend.dir], {
        now: NOW,
        env: { PROTIME_HOOKS_STORE_KEY: undefined },
      });
      expect(result.code, result.stderr).toBe(0);
      const url = new URL(backend.env.PROTIME_HOOKS_STORE!);
      expect(result.json()).toEqual({
        store: `postgresql://${url.username}@${url.host}${url.pathname}`,
        previousSchemaVersion: 1,
        schemaVersion: 1,
        encrypted: false,
        keyId: null,
      });
      expect(result.stdout + result.stderr).not.toContain(url.password);
      expect(await backend.read()).toEqual({ schemaVersion: 1, profiles: {}, subscriptions: {} });
    });
  },
  ['postgres'],
);

forEachBackend('store migrate', (backend) => {
  it('with a store key, seals a store written in clear and says so once', async () => {
    const { dir } = backend;
    const record = makeRecord();
    await seedStore(backend.plain(), { records: [record] });
    const env = { PROTIME_HOOKS_STORE_KEY: storeKey() };
    const result = await backend.run(['store', 'migrate', '--config-dir', dir], { now: NOW, env });
    expect(result.code, result.stderr).toBe(0);
    const [where, said] = result.stdout.split(': ');
    expect(where).toBe(backend.plain().location);
    expect(said).toMatch(/^format 2 \(was 1\), secrets encrypted with key id [0-9a-f]{16}\n$/);
    expect(result.stderr.match(/encrypted now with PROTIME_HOOKS_STORE_KEY/g)).toHaveLength(1);
    const bytes = await backend.atRest();
    expect(bytes).toContain(record.id);
    for (const secret of [SECRET, TOKEN, record.key!]) expect(bytes).not.toContain(secret);
    // The store key itself is never printed.
    expect(result.stdout + result.stderr).not.toContain(env.PROTIME_HOOKS_STORE_KEY);
  });
});

forEachBackend('store keys at the CLI', (backend) => {
  it('without the key, or with another, exits 4 naming the variable and leaves the store byte for byte', async () => {
    const { dir } = backend;
    const key = storeKey();
    await seedStore(backend.plain(), { records: [makeRecord({ id: 'wh-1' })] });
    expect((await backend.run(['store', 'migrate', '--config-dir', dir], { env: { PROTIME_HOOKS_STORE_KEY: key } })).code).toBe(0);
    const before = await backend.atRest();
    expect(before).not.toContain(SECRET);
    for (const [env, code] of [
      [{ PROTIME_HOOKS_STORE_KEY: undefined }, 'store-key-missing'],
      [{ PROTIME_HOOKS_STORE_KEY: storeKey() }, 'store-key-wrong'],
    ] as const) {
      for (const argv of [['keys'], ['status', '--offline'], ['logout', '--purge', '--yes'], ['unsubscribe', 'wh-1', '--yes']]) {
        const result = await backend.run([...argv, '--json', '--config-dir', dir], { now: NOW, env });
        expect(result.code, `${argv} ${result.stdout}`).toBe(4);
        expect(result.json().error.code).toBe(code);
        expect(result.json().error.message).toContain('PROTIME_HOOKS_STORE_KEY');
        const text = await backend.run([...argv, '--config-dir', dir], { now: NOW, env });
        expect(text.code).toBe(4);
        expect(text.stderr).toMatch(/^\[error\] /);
        expect(text.stderr).not.toMatch(/\n\s+at \S/);
        expect(text.stdout).toBe('');
        expect(await backend.atRest()).toBe(before);
      }
    }
    const keys = await backend.run(['keys', '--json', '--config-dir', dir], { now: NOW, env: { PROTIME_HOOKS_STORE_KEY: key } });
    expect(keys.code).toBe(0);
    expect(keys.json().map((k: { id: string }) => k.id)).toEqual(['wh-1']);
  });
});

forEachBackend('store export', (backend) => {
  it('prints the whole state with every secret null unless --include-secrets', async () => {
    const { dir } = backend;
    const record = makeRecord({ id: 'wh-1', raw: { id: 'wh-1', key: 'in-the-answer-too' } });
    await backend.seed({ records: [record] });
    const result = await backend.run(['store', 'export', '--config-dir', dir], { now: NOW });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toContain(SECRET);
    expect(result.stdout).not.toContain(TOKEN);
    expect(result.stdout).not.toContain(record.key!);
    expect(result.stdout).not.toContain('in-the-answer-too');
    const doc = result.json();
    expect(doc).toMatchObject({ format: 'protime-hooks-state', formatVersion: 1, exportedAt: NOW.toISOString(), secrets: 'omitted' });
    expect(doc.profiles.default).toMatchObject({ tenant: 'acme', clientSecret: null, token: null });
    expect(doc.subscriptions.default['wh-1']).toMatchObject({ id: 'wh-1', key: null, raw: null, collection: 'contracts' });
    expect(result.stderr).toContain('secrets omitted');
    // The same document under --json.
    const json = await backend.run(['store', 'export', '--json', '--config-dir', dir], { now: NOW });
    expect(json.json()).toEqual(doc);

    const withSecrets = await backend.run(['store', 'export', '--include-secrets', '--config-dir', dir], { now: NOW });
    expect(withSecrets.code).toBe(0);
    const full = withSecrets.json();
    expect(full.secrets).toBe('included');
    expect(full.profiles.default.clientSecret).toBe(SECRET);
    expect(full.profiles.default.token.accessToken).toBe(TOKEN);
    expect(full.subscriptions.default['wh-1'].key).toBe(record.key);
    expect(full.subscriptions.default['wh-1'].raw).toEqual({ id: 'wh-1', key: 'in-the-answer-too' });
    // Piped: no warning. At a terminal: one.
    expect(withSecrets.stderr).not.toContain('[warn]');
    const tty = await backend.run(['store', 'export', '--include-secrets', '--config-dir', dir], {
      now: NOW,
      tty: true,
      env: { NO_COLOR: '1' },
    });
    expect(tty.stderr).toMatch(/\[warn\] This export holds every client secret, token and webhook key in clear/);
    const ttyOmitted = await backend.run(['store', 'export', '--config-dir', dir], { now: NOW, tty: true, env: { NO_COLOR: '1' } });
    expect(ttyOmitted.stderr).not.toContain('[warn]');
  });
});

// The export comes from a file store each time: on the postgres variant, the contract's move from the file store to PostgreSQL.
forEachBackend('store import', (backend) => {
  it('round-trips an export with secrets into a fresh config dir (keys and profiles identical); a second import changes nothing', async () => {
    const from = tempDir();
    await seedStore(from, { records: [makeRecord({ id: 'wh-1' }), makeRecord({ id: 'wh-2', replacedBy: 'wh-1' })] });
    const exported = await runCli(['store', 'export', '--include-secrets', '--config-dir', from], { now: NOW });
    const to = backend.dir;
    const key = storeKey();
    const result = await backend.run(['store', 'import', '--json', '--config-dir', to], {
      now: NOW,
      stdin: exported.stdout,
      env: { PROTIME_HOOKS_STORE_KEY: key },
    });
    expect(result.code, result.stderr).toBe(0);
    const report = result.json();
    expect(report.imported).toEqual([
      { kind: 'profile', profile: 'default', id: null },
      { kind: 'subscription', profile: 'default', id: 'wh-1' },
      { kind: 'subscription', profile: 'default', id: 'wh-2' },
    ]);
    expect(report.skipped).toEqual([]);
    expect(report.needLogin).toEqual([]);
    for (const argv of [
      ['keys', '--json'],
      ['profiles', '--json'],
      ['status', '--offline', '--json'],
    ]) {
      const a = await runCli([...argv, '--config-dir', from], { now: NOW });
      const b = await backend.run([...argv, '--config-dir', to], { now: NOW, env: { PROTIME_HOOKS_STORE_KEY: key } });
      expect(b.code).toBe(a.code);
      expect(b.json()).toEqual(a.json());
    }
    // Imported into a sealed store: nothing in clear there.
    expect(await backend.atRest()).not.toContain(SECRET);

    const file = join(tempDir(), 'export.json');
    writeFileSync(file, exported.stdout);
    const again = await backend.run(['store', 'import', '--from', file, '--json', '--config-dir', to], {
      now: NOW,
      env: { PROTIME_HOOKS_STORE_KEY: key },
    });
    expect(again.code).toBe(0);
    expect(again.json().imported).toEqual([]);
    expect(again.json().unchanged).toHaveLength(3);
  });

  it('refuses to overwrite a record that differs: imports the rest, reports the skipped one, exits 1', async () => {
    const from = tempDir();
    await seedStore(from, { records: [makeRecord({ id: 'wh-1', validUntil: '2026-07-01T12:00:00.000Z' }), makeRecord({ id: 'wh-2' })] });
    const exported = await runCli(['store', 'export', '--include-secrets', '--config-dir', from], { now: NOW });
    const to = backend.dir;
    const mine = makeRecord({ id: 'wh-1', validUntil: '2026-08-01T12:00:00.000Z' });
    await backend.seed({ records: [mine] });
    const result = await backend.run(['store', 'import', '--config-dir', to], { now: NOW, stdin: exported.stdout });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('imported  subscription wh-2 of profile "default"');
    expect(result.stdout).toContain('unchanged profile "default"');
    expect(result.stdout).toContain(
      'skipped   subscription wh-1 of profile "default": differs from the one in this store (key, validUntil)',
    );
    expect(result.stderr).toContain('[warn] Skipped subscription wh-1');
    const keys = await backend.run(['keys', '--json', '--config-dir', to], { now: NOW });
    const held = Object.fromEntries(keys.json().map((k: { id: string; key: string }) => [k.id, k.key]));
    expect(held['wh-1']).toBe(mine.key);
    expect(Object.keys(held).sort()).toEqual(['wh-1', 'wh-2']);
  });

  it('an export without secrets gives profiles that need login again, and says so', async () => {
    const from = tempDir();
    await seedStore(from, { records: [makeRecord({ id: 'wh-1' })] });
    const exported = await runCli(['store', 'export', '--config-dir', from], { now: NOW });
    const to = backend.dir;
    const result = await backend.run(['store', 'import', '--json', '--config-dir', to], { now: NOW, stdin: exported.stdout });
    expect(result.code, result.stderr).toBe(0);
    expect(result.json()).toMatchObject({ secrets: 'omitted', needLogin: ['default'], withoutKey: 1 });
    expect(result.stderr).toContain('Run `protime-hooks login --profile <name>`');
    expect(result.stderr).toContain('unknown-key');
    const profiles = await backend.run(['profiles', '--json', '--config-dir', to], { now: NOW });
    expect(profiles.json()[0]).toMatchObject({ name: 'default', loggedIn: false });
  });
});
