/**
 * The Store contract (read, update, runLock) against the PostgreSQL backend, on a real throwaway
 * cluster (test/helpers/postgres.ts): no mocks of the database.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { CliError } from '../../src/shared/errors.js';
import { PostgresStore, parseStoreUrl, SCHEMA_VERSION, storeSchemaName } from '../../src/state/postgres-store.js';
import { cliErrorOf } from '../helpers/errors.js';
import { postgresSkip, sharedCluster } from '../helpers/postgres.js';
import { makeProfile, makeRecord } from './fixtures/records.js';

const cluster = sharedCluster();
let url: string;
let databases = 0;
const opened: PostgresStore[] = [];

afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});

/** A store on a database of its own, so tests do not see each other's state. */
function freshStore(): PostgresStore {
  url = cluster().newDatabase(`contract_${++databases}`);
  return open(url);
}

function open(at: string, schema?: string): PostgresStore {
  const store = new PostgresStore(parseStoreUrl(at, {}), schema);
  opened.push(store);
  return store;
}

describe.skipIf(postgresSkip)('PostgresStore: read and update', () => {
  it('reads an empty store, migrates on first use, and keeps every kind of state through a write', async () => {
    const store = freshStore();
    expect(await store.read()).toEqual({ schemaVersion: 1, profiles: {}, subscriptions: {} });
    const record = makeRecord({ replacedBy: 'b', deployPending: null, futureField: { nested: [1, 2] } } as never);
    const state = {
      schemaVersion: 1,
      profiles: {
        default: makeProfile({
          clientSecret: 's3cret',
          token: { accessToken: 'tok-1', expiresAt: '2025-03-01T11:00:00.000Z', scopes: ['a'] },
          keysFile: null,
        }),
        other: makeProfile({ tenant: 'beta' }),
      },
      subscriptions: { default: { [record.id]: record, b: makeRecord({ id: 'b', key: null, raw: null }) } },
      intents: {
        default: [
          {
            id: 'i2',
            kind: 'renew' as const,
            collection: 'clockings',
            destinationUrl: 'https://x',
            externalReferences: [],
            startedAt: 'now',
            replaces: 'b',
            pid: 1,
            host: 'h',
          },
          {
            id: 'i1',
            kind: 'subscribe' as const,
            collection: 'c',
            destinationUrl: 'https://y',
            externalReferences: [['a', 'b']] as [string, string][],
            startedAt: 'now',
            replaces: null,
            pid: 2,
            host: 'h',
          },
        ],
      },
      renewRuns: { default: { lastRunAt: 'a', lastSuccessAt: null, consecutiveFailures: 2 } },
      unreadableAnswers: [{ body: 'x' }],
    };
    const done = await store.update((data) => {
      Object.assign(data, structuredClone(state));
      return 'done';
    });
    expect(done).toBe('done');
    expect(await store.read()).toEqual(state);
    // Another process (a second store on the same database) sees the same state.
    expect(await open(url).read()).toEqual(state);

    // Tables, not a blob: one row per subscription, the secret in its own column.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const rows = (await client.query('select profile, id, key, replaced_by from protime_hooks.subscriptions order by id')).rows;
    const migrations = (await client.query('select version from protime_hooks.schema_migrations')).rows;
    await client.end();
    expect(rows).toEqual([
      { profile: 'default', id: record.id, key: 'whk_secret_key', replaced_by: 'b' },
      { profile: 'default', id: 'b', key: null, replaced_by: null },
    ]);
    expect(migrations).toEqual([{ version: 1 }, { version: 2 }]);

    // Deletions are written too.
    await store.update((data) => {
      delete data.profiles.other;
      delete data.subscriptions.default!.b;
      data.intents!.default!.splice(0, 1);
    });
    const after = await store.read();
    expect(Object.keys(after.profiles)).toEqual(['default']);
    expect(Object.keys(after.subscriptions.default!)).toEqual([record.id]);
    expect(after.intents!.default!.map((i) => i.id)).toEqual(['i1']);
  });

  it('writes nothing when the change throws, and rethrows its error', async () => {
    const store = freshStore();
    await store.update((data) => {
      data.profiles.default = makeProfile();
    });
    await expect(
      store.update((data) => {
        data.profiles.default!.tenant = 'changed';
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await store.read()).profiles.default!.tenant).toBe('acme');
  });

  it('loses no update when two stores (two hosts) write at once', async () => {
    const a = freshStore();
    const b = open(url);
    await a.update((data) => {
      data.renewRuns = { default: { lastRunAt: 'x', lastSuccessAt: null, consecutiveFailures: 0 } };
    });
    const bump = (store: PostgresStore) =>
      store.update((data) => {
        data.renewRuns!.default!.consecutiveFailures += 1;
      });
    await Promise.all(Array.from({ length: 40 }, (_, i) => bump(i % 2 ? a : b)));
    expect((await a.read()).renewRuns!.default!.consecutiveFailures).toBe(40);
  });

  it('runs the migrations once when many stores start together', async () => {
    freshStore();
    const stores = Array.from({ length: 8 }, () => open(url));
    await Promise.all(stores.map((store) => store.migrate()));
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query('select count(*)::int as n from protime_hooks.schema_migrations');
    await client.end();
    expect(rows[0].n).toBe(SCHEMA_VERSION);
  });
});

/** Queries on a connection of its own, closed whatever happens. */
async function sql(at: string, text: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString: at });
  await client.connect();
  try {
    return (await client.query(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** A sealed-looking value (format 1 of seal.ts) under key id `id`: the backend never opens it. */
const sealedText = (id: string) => `phk-sealed:1:${id}:AAAAAAAAAAAAAAAA:${'B'.repeat(30)}`;

describe.skipIf(postgresSkip)('PostgresStore: schemas and migrations', () => {
  it('two schemas of one database hold two independent states', async () => {
    const a = freshStore();
    const b = open(url, 'tenant_b');
    await a.update((data) => {
      data.profiles.default = makeProfile({ tenant: 'alpha', clientSecret: 'secret-a' });
      data.subscriptions.default = { [makeRecord().id]: makeRecord() };
    });
    await b.update((data) => {
      data.profiles.default = makeProfile({ tenant: 'beta', clientSecret: 'secret-b' });
    });
    expect((await a.read()).profiles.default).toMatchObject({ tenant: 'alpha', clientSecret: 'secret-a' });
    const other = await b.read();
    expect(other.profiles.default).toMatchObject({ tenant: 'beta', clientSecret: 'secret-b' });
    expect(other.subscriptions).toEqual({});
    // Deleting in one leaves the other alone.
    await b.update((data) => {
      delete data.profiles.default;
    });
    expect(Object.keys((await a.read()).profiles)).toEqual(['default']);
    const tables = await sql(
      url,
      `select table_schema, count(*)::int as n from information_schema.tables
      where table_schema in ('protime_hooks', 'tenant_b') group by table_schema order by table_schema`,
    );
    expect(tables).toEqual([
      { table_schema: 'protime_hooks', n: 6 },
      { table_schema: 'tenant_b', n: 6 },
    ]);
    expect(b.location).toBe(`postgresql://hooks@127.0.0.1:${cluster().port}/contract_${databases} (schema tenant_b)`);
  });

  it.each(['Tenant', '1st', 'a-b', 'a"; drop table x; --', 'a'.repeat(64), ' protime_hooks'])(
    'PROTIME_HOOKS_STORE_SCHEMA=%j is a usage error (exit 2, bad-store-schema)',
    async (value) => {
      const error = await cliErrorOf(() => storeSchemaName({ PROTIME_HOOKS_STORE_SCHEMA: value }));
      expect(error).toMatchObject({ code: 'bad-store-schema', exitCode: 2 });
      expect(error.message).toContain('PROTIME_HOOKS_STORE_SCHEMA');
    },
  );

  it('takes a plain identifier, and an unset or empty variable as protime_hooks', () => {
    expect(storeSchemaName({ PROTIME_HOOKS_STORE_SCHEMA: '_staging_2' })).toBe('_staging_2');
    expect(storeSchemaName({ PROTIME_HOOKS_STORE_SCHEMA: 'a'.repeat(63) })).toBe('a'.repeat(63));
    expect(storeSchemaName({ PROTIME_HOOKS_STORE_SCHEMA: '' })).toBe('protime_hooks');
    expect(storeSchemaName({})).toBe('protime_hooks');
  });

  it('upgrades a database a schema-1 release wrote to schema 2, every record intact, and sees what is sealed', async () => {
    const old = freshStore();
    await old.migrateTo(1);
    // Rows as version 1 wrote them (its columns only): one profile in clear, one record whose
    // create answer is sealed (its key not found: null), `raw` being JSON text.
    const profile = makeProfile({ token: { accessToken: 'tok', expiresAt: '2025-03-01T11:00:00.000Z', scopes: [] } });
    const { token, ...profileDoc } = profile;
    const record = makeRecord();
    const { key: _k, raw: _r, ...recordDoc } = record;
    const sealed = sealedText('0123456789abcdef');
    await sql(url, 'insert into protime_hooks.profiles (name, client_secret, access_token, doc) values ($1, $2, $3, $4)', [
      'default',
      'in-clear',
      'tok',
      JSON.stringify({ ...profileDoc, token: { expiresAt: token!.expiresAt, scopes: [] } }),
    ]);
    await sql(
      url,
      `insert into protime_hooks.subscriptions (profile, id, collection, destination_url, valid_until, key, raw, doc)
       values ('default', $1, $2, $3, $4, null, $5, $6)`,
      [record.id, record.collection, record.destinationUrl, record.validUntil, JSON.stringify(sealed), JSON.stringify(recordDoc)],
    );
    expect(await old.health()).toEqual({ schemaVersion: 1, currentVersion: 2, secrets: null });

    const current = open(url);
    const state = await current.read();
    expect(state.profiles).toEqual({ default: { ...profile, clientSecret: 'in-clear' } });
    expect(state.subscriptions.default![record.id]).toEqual({ ...record, key: null, raw: sealed });
    expect((await sql(url, 'select version from protime_hooks.schema_migrations order by version')).map((r) => r.version)).toEqual([1, 2]);
    // The server derives the key id from the values: one record sealed with it, one in clear.
    expect(await current.health()).toEqual({
      schemaVersion: 2,
      currentVersion: 2,
      secrets: { sealedWith: { '0123456789abcdef': 1 }, clear: 1 },
    });
    // A write through the new code keeps the derived column right.
    await current.update((data) => {
      data.profiles.default!.clientSecret = sealedText('fedcba9876543210');
    });
    expect((await current.health()).secrets).toEqual({ sealedWith: { '0123456789abcdef': 1, fedcba9876543210: 1 }, clear: 0 });
  });

  it('a raw column that is not JSON is store-invalid (exit 1) naming the row, not an unreachable store', async () => {
    const store = freshStore();
    await store.update((data) => {
      data.subscriptions.default = { [makeRecord().id]: makeRecord() };
    });
    await sql(url, "update protime_hooks.subscriptions set raw = 'not json'");
    const error = await cliErrorOf(() => open(url).read());
    expect(error).toMatchObject({ code: 'store-invalid', exitCode: 1 });
    expect(error.message).toContain(`subscriptions row default/${makeRecord().id}`);
  });

  it('a schema newer than this code is store-too-new, and is left untouched', async () => {
    const store = freshStore();
    await store.update((data) => {
      data.profiles.default = makeProfile({ clientSecret: 'kept' });
    });
    await sql(url, 'insert into protime_hooks.schema_migrations (version) values ($1)', [SCHEMA_VERSION + 1]);
    const snapshot = async () => ({
      versions: await sql(url, 'select version, applied_at from protime_hooks.schema_migrations order by version'),
      profiles: await sql(url, 'select * from protime_hooks.profiles'),
      columns: await sql(
        url,
        "select table_name, column_name from information_schema.columns where table_schema = 'protime_hooks' order by 1, 2",
      ),
    });
    const before = await snapshot();
    const newer = open(url);
    for (const action of [() => newer.read(), () => newer.update(() => undefined), () => newer.migrate()]) {
      const error = await cliErrorOf(action);
      expect(error).toMatchObject({ code: 'store-too-new', exitCode: 1 });
      expect(error.message).toContain(`schema ${SCHEMA_VERSION + 1}`);
    }
    expect(await newer.health()).toEqual({ schemaVersion: SCHEMA_VERSION + 1, currentVersion: SCHEMA_VERSION, secrets: null });
    expect(await snapshot()).toEqual(before);
  });
});

describe.skipIf(postgresSkip)('PostgresStore: runLock', () => {
  it('a second holder of the same profile gets run-locked (exit 75) naming the holder; another profile is free; release frees it', async () => {
    const a = freshStore();
    const b = open(url);
    const release = await a.runLock('default', 'renew', { waitMs: 0 });
    const busy = await cliErrorOf(() => b.runLock('default', 'renew', { waitMs: 0 }));
    expect(busy).toMatchObject({ code: 'run-locked', exitCode: 75 });
    expect(busy.message).toContain(`pid ${process.pid}`);
    const other = await b.runLock('other', 'renew', { waitMs: 0 });
    await other();
    await release();
    const again = await b.runLock('default', 'renew', { waitMs: 0 });
    await again();
  });

  it('waits for the holder with waitMs, telling onWait once', async () => {
    const a = freshStore();
    const b = open(url);
    const release = await a.runLock('default', 'renew', { waitMs: 0 });
    const told: string[] = [];
    setTimeout(() => void release(), 600);
    const started = Date.now();
    const second = await b.runLock('default', 'renew', { waitMs: 10_000, onWait: (message) => told.push(message) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(told).toHaveLength(1);
    expect(told[0]).toContain('Waiting up to');
    await second();
  });

  it('a SIGKILLed holder frees the lock at once', async () => {
    const store = freshStore();
    const holder = fileURLToPath(new URL('./fixtures/hold-pg-lock.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', holder, url], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk) => String(chunk).includes('held') && resolve());
      child.on('exit', (code) => reject(new Error(`holder exited with ${code}`)));
    });
    expect((await cliErrorOf(() => store.runLock('default', 'renew', { waitMs: 0 }))).code).toBe('run-locked');
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    // The server ends the session as the socket closes: free within moments, no stale timeout.
    const started = Date.now();
    const release = await store.runLock('default', 'renew', { waitMs: 5_000 });
    expect(Date.now() - started).toBeLessThan(2_000);
    await release();
  });
});

describe.skipIf(postgresSkip)('PostgresStore: connection failures', () => {
  it('an unreachable server is store-unreachable (exit 75), naming host and database, never the password', async () => {
    const store = open('postgres://hooks:hunter2-pw@127.0.0.1:9/somedb');
    const error = await cliErrorOf(() => store.read());
    expect(error).toMatchObject({ code: 'store-unreachable', exitCode: 75 });
    expect(error.message).toContain('127.0.0.1');
    expect(error.message).toContain('somedb');
    expect(error.message).not.toContain('hunter2');
  });

  it('a session ended by the server mid-transaction: the update rejects store-unreachable (no crash), writes nothing, and the next one works', async () => {
    const store = freshStore();
    await store.update((data) => {
      data.profiles.default = makeProfile();
    });
    const admin = new pg.Client({ connectionString: cluster().superuserUrl });
    await admin.connect();
    try {
      const error = await cliErrorOf(() =>
        store.update(async (data) => {
          data.profiles.default!.tenant = 'changed';
          // The store's transaction is open (its client checked out of the pool): end its session, as a server restart does.
          const { rows } = await admin.query(
            `select pg_terminate_backend(pid) as ended from pg_stat_activity where datname = $1 and application_name like 'protime-hooks pid%'`,
            [url.split('/').pop()],
          );
          expect(rows.length).toBeGreaterThan(0);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }),
      );
      expect(error).toMatchObject({ code: 'store-unreachable', exitCode: 75 });
      expect(error.message).not.toContain(cluster().password);
    } finally {
      await admin.end();
    }
    expect((await store.read()).profiles.default!.tenant).toBe('acme');
    await store.update((data) => {
      data.profiles.default!.tenant = 'after';
    });
    expect((await store.read()).profiles.default!.tenant).toBe('after');
  });

  it('a wrong password is store-auth (exit 4)', async () => {
    const store = open(`postgres://hooks:wrong-pw@127.0.0.1:${cluster().port}/hooks`);
    const error = await cliErrorOf(() => store.update(() => undefined));
    expect(error).toMatchObject({ code: 'store-auth', exitCode: 4 });
    expect(error.message).not.toContain('wrong-pw');
    expect(store.location).toBe(`postgresql://hooks@127.0.0.1:${cluster().port}/hooks`);
  });

  it('no password where the server asks for one is store-auth (exit 4), not unreachable', async () => {
    const store = open(`postgres://hooks@127.0.0.1:${cluster().port}/hooks`);
    const error = await cliErrorOf(() => store.read());
    expect(error).toMatchObject({ code: 'store-auth', exitCode: 4 });
    expect(error.message).toContain('it asks for a password and none is set');
  });

  it('refuses a URL that is not postgres as a usage error, without echoing it', () => {
    expect(() => parseStoreUrl('mysql://u:hunter2@h/db', {})).toThrow(/postgres:\/\//);
    try {
      parseStoreUrl('mysql://u:hunter2@h/db', {});
    } catch (error) {
      expect((error as CliError).exitCode).toBe(2);
      expect((error as Error).message).not.toContain('hunter2');
    }
  });

  it('fills what the URL leaves out from the libpq variables', () => {
    expect(parseStoreUrl('postgres://', { PGHOST: 'db.example', PGPORT: '6543', PGUSER: 'ops', PGDATABASE: 'hooks' })).toMatchObject({
      host: 'db.example',
      port: '6543',
      user: 'ops',
      database: 'hooks',
    });
  });
});
