/**
 * The command tests that touch the store run on both backends, so behaviour cannot drift between
 * them (issue 12). `forEachBackend(title, suite)` declares `suite` once on the file store and once
 * on PostgreSQL; every test gets a store of its own: a fresh config dir, and on PostgreSQL empty
 * tables (a database per test file on the run's one cluster, migrated once, truncated before each
 * test).
 *
 * The backend is chosen the way a user chooses it: the config dir alone for the file store;
 * PROTIME_HOOKS_STORE with the URL (its password inside the environment, never argv) and a
 * PROTIME_HOOKS_STORE_KEY for PostgreSQL, so that a notice about secrets kept in clear never reaches
 * a test that is not about it. Tests seed and read state through the Store interface (`seed`,
 * `read`, `store`), never through the file's bytes; a postgres test that leaves a state.json in
 * its config dir fails, since the CLI would then not have used PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, inject } from 'vitest';
import type { Env } from '../../src/context.js';
import { FileStore } from '../../src/state/file-store.js';
import { PostgresStore, parseStoreUrl } from '../../src/state/postgres-store.js';
import type { StoreData } from '../../src/state/schemas.js';
import { parseStoreKey } from '../../src/state/seal.js';
import { sealedStore } from '../../src/state/sealed-store.js';
import type { Store } from '../../src/state/store.js';
import { type CliRun, type RunOptions, runCli, tempDir } from './cli.js';
import { type PostgresCluster, postgresSkip, startPostgres } from './postgres.js';
import { type SeedOptions, seedStore } from './protime.js';

export type BackendName = 'file' | 'postgres';

export interface Backend {
  readonly name: BackendName;
  /** This test's config dir: the state itself on the file store; on PostgreSQL it holds no state. */
  readonly dir: string;
  /** What selects this test's store (empty for the file store). */
  readonly env: Env;
  /** runCli with `env` under the run's own variables. */
  run(argv: string[], options?: RunOptions): Promise<CliRun>;
  /** This test's store as the CLI opens it (same key), closed after the test. */
  store(): Store;
  read(): Promise<StoreData>;
  /** seedStore (test/helpers/protime.ts) into this test's store. */
  seed(options?: SeedOptions): Promise<Store>;
  /** The same store opened without a key, as a run without PROTIME_HOOKS_STORE_KEY opens it (secrets as they are). */
  plain(): Store;
  /** Everything the store holds, as stored (state.json's bytes; every row of every table): to see what is at rest, and that nothing changed. */
  atRest(): Promise<string>;
}

interface Parts {
  dir: string;
  env: Env;
  /** The store opened with the backend's key, if any. */
  open: () => Store;
  openPlain: () => Store;
  atRest: () => Promise<string>;
}

/** The key every PostgreSQL variant runs with (the file variant runs without one, as before). */
const STORE_KEY = randomBytes(32).toString('base64');

/**
 * Declares `describe(title, suite)` once per backend (both by default), titled "title (file store)"
 * and "title (postgres store)": a file's describe blocks become forEachBackend calls, bodies as they
 * were. Call it at the top of a test file. Where PostgreSQL's binaries are missing its variant is
 * skipped, and postgres.ts says so on stderr.
 */
export function forEachBackend(title: string, suite: (backend: Backend) => void, names: BackendName[] = ['file', 'postgres']): void {
  if (names.includes('postgres') && !postgresSkip) stopAfterFile();
  for (const name of names) {
    const skip = name === 'postgres' ? postgresSkip : undefined;
    describe.skipIf(skip)(`${title} (${name} store)`, () => {
      suite(name === 'file' ? fileBackend() : postgresBackend());
    });
  }
}

/** A backend whose per-test parts are made in beforeEach; the stores a test opens are closed after it. */
function backend(name: BackendName, parts: () => Parts): Backend {
  let current: Parts | undefined;
  let keyed: Store | undefined;
  let plain: Store | undefined;
  beforeEach(() => {
    current = parts();
  });
  afterEach(async () => {
    const stores = [keyed, plain];
    keyed = undefined;
    plain = undefined;
    current = undefined;
    for (const store of stores) await store?.close?.();
  });
  const now = () => {
    if (!current) throw new Error('a backend is used inside a test only');
    return current;
  };
  const self: Backend = {
    name,
    get dir() {
      return now().dir;
    },
    get env() {
      return now().env;
    },
    run: (argv, options = {}) => runCli(argv, { ...options, env: { ...now().env, ...options.env } }),
    store() {
      keyed ??= now().open();
      return keyed;
    },
    plain() {
      plain ??= now().openPlain();
      return plain;
    },
    read: () => self.store().read(),
    seed: (options) => seedStore(self.store(), options),
    atRest: () => now().atRest(),
  };
  return self;
}

function fileBackend(): Backend {
  return backend('file', () => {
    const dir = tempDir();
    const open = () => new FileStore(dir);
    return { dir, env: {}, open, openPlain: open, atRest: async () => readFileSync(join(dir, 'state.json'), 'utf8') };
  });
}

/**
 * The test file's database, migrated: on the run's cluster (postgres-setup.ts, the global setup),
 * or, where the run has none, on a cluster of the file's own. Made by the first postgres suite and
 * dropped (or its cluster stopped) after the file's last test.
 */
let shared: Promise<{ url: string; admin: pg.Client; stop: () => Promise<void> }> | undefined;

function fileDatabase() {
  shared ??= (async () => {
    const run = inject('postgres');
    let url: string;
    let dispose: () => Promise<void>;
    if (run) {
      const database = `file_${process.pid}_${randomBytes(4).toString('hex')}`;
      const superuser = new pg.Client({ connectionString: run.superuserUrl });
      await superuser.connect();
      await superuser.query(`create database ${database} owner ${run.user}`);
      url = run.url.replace(/\/[^/]+$/, `/${database}`);
      dispose = async () => {
        await superuser.query(`drop database if exists ${database} with (force)`);
        await superuser.end();
      };
    } else {
      const cluster: PostgresCluster = await startPostgres();
      url = cluster.url;
      dispose = async () => cluster.stop();
    }
    try {
      // Migrated once; each test then starts from empty tables (a fresh database costs ten times more).
      const store = new PostgresStore(parseStoreUrl(url, {}));
      await store.migrate();
      await store.close();
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      return {
        url,
        admin,
        stop: async () => {
          await admin.end();
          await dispose();
        },
      };
    } catch (error) {
      await dispose();
      throw error;
    }
  })();
  return shared;
}

let stopRegistered = false;

/** Drops the file's database (or stops its cluster) after its last test: registered in the file's root suite, once. */
function stopAfterFile(): void {
  if (stopRegistered) return;
  stopRegistered = true;
  afterAll(async () => {
    const database = await shared?.catch(() => undefined);
    shared = undefined;
    await database?.stop();
  });
}

function postgresBackend(): Backend {
  let url = '';
  let admin: pg.Client | undefined;
  beforeAll(async () => {
    ({ url, admin } = await fileDatabase());
  }, 60_000);
  beforeEach(async () => {
    await admin!.query(`truncate ${(await storeTables(admin!)).join(', ')}`);
  });
  afterEach(({ task }) => {
    // The CLI was on PostgreSQL throughout: a run that fell back to the config dir would fail here.
    if (task.result?.state !== 'fail' && existsSync(join(dirOfTest, 'state.json'))) {
      throw new Error('the postgres variant wrote state.json: PROTIME_HOOKS_STORE did not select the store');
    }
  });
  let dirOfTest = '';
  return backend('postgres', () => {
    dirOfTest = tempDir();
    const openPlain = () => new PostgresStore(parseStoreUrl(url, {}));
    return {
      dir: dirOfTest,
      env: { PROTIME_HOOKS_STORE: url, PROTIME_HOOKS_STORE_KEY: STORE_KEY },
      open: () => sealedStore(openPlain(), parseStoreKey(STORE_KEY), () => undefined),
      openPlain,
      async atRest() {
        const texts: string[] = [];
        for (const table of await storeTables(admin!)) {
          const { rows } = await admin!.query<{ rows: string }>(
            `select coalesce(json_agg(t order by t::text), '[]')::text as rows from ${table} t`,
          );
          texts.push(`${table} ${rows[0]!.rows}`);
        }
        return texts.join('\n');
      },
    };
  });
}

/** Every table the migrations made, whatever schema they are in, except the record of the migrations. */
async function storeTables(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `select format('%I.%I', schemaname, tablename) as name from pg_tables
     where schemaname not in ('pg_catalog', 'information_schema') and tablename <> 'schema_migrations' order by 1`,
  );
  return rows.map((row) => row.name);
}
