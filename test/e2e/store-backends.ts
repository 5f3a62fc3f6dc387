/**
 * The two store backends as the process-level robustness tests (kill, overlap) meet them: a fresh
 * store, users of it (each a "host": a config dir of its own), and a view of what the store holds,
 * read the way an outsider would (state.json for the file store, SQL for PostgreSQL), so the test
 * does not trust the code it checks to read the state back.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach } from 'vitest';
import { type PostgresCluster, sharedCluster } from '../helpers/postgres.js';
import { CliUser, type EmulatorProcess } from './emulator-process.js';
import { recordsOf, type StoredRecord, sleep } from './robustness-helpers.js';

const PROFILE = 'default';

/** What the store holds for the default profile. */
export interface StoreView {
  records: Record<string, StoredRecord>;
  /** Open intents (creates whose outcome was not yet recorded). */
  intents: unknown[];
}

export interface TestStore {
  /** A user of this store on a host of its own. The file store lives in one config dir: one user only. */
  user(emulator: EmulatorProcess): CliUser;
  /** The default profile's records and intents; throws when the store cannot be read (a torn state.json). */
  view(): Promise<StoreView>;
  /** Whether the default profile's run lock is held now (its owner file; a granted advisory lock). */
  runLockHeld(): Promise<boolean>;
  /** Whether a killed run left its run lock behind for the next one to break (a lock file; PostgreSQL frees it with the session). */
  runLockLeft(): Promise<boolean>;
  /** Whether a killed writer left the store's write lock behind (state.lock; PostgreSQL's ends with its transaction). */
  writeLockLeft(): boolean;
  close(): Promise<void>;
}

export interface StoreBackend<S extends TestStore = TestStore> {
  readonly name: 'file' | 'postgres';
  /** A new, empty store. */
  fresh(): S;
  /** Closes every store fresh() made (their connections). */
  closeAll(): Promise<void>;
}

export const fileBackend: StoreBackend = {
  name: 'file',
  fresh() {
    let only: CliUser | undefined;
    const dir = () => {
      if (!only) throw new Error('the file store has no user yet');
      return only.configDir;
    };
    return {
      user(emulator) {
        if (only) throw new Error('the file store lives in one config dir: one host only');
        only = new CliUser(emulator);
        return only;
      },
      async view() {
        // Written by rename: always a whole file; a torn one throws, which is the point.
        const state = JSON.parse(readFileSync(join(dir(), 'state.json'), 'utf8'));
        return { records: recordsOf(state, PROFILE), intents: state.intents?.[PROFILE] ?? [] };
      },
      async runLockHeld() {
        return existsSync(join(dir(), `run-${PROFILE}.owner`));
      },
      async runLockLeft() {
        return existsSync(join(dir(), `run-${PROFILE}.lock`));
      },
      writeLockLeft() {
        return existsSync(join(dir(), 'state.lock'));
      },
      async close() {},
    };
  },
  async closeAll() {},
};

/** A store in a database of its own. */
export interface PostgresTestStore extends TestStore {
  /** Its name, and the URL with the password (for the environment, never argv). */
  database: string;
  url: string;
  /** One query on the test's own connections (which reconnect after a restart). */
  rows(sql: string, params?: unknown[]): Promise<any[]>;
}

/** The first key of the store's advisory locks ("prot"), as src/state/postgres-store.ts takes them. */
const LOCK_SPACE = 0x7072_6f74;

/**
 * PostgreSQL: every fresh store is a database of its own on the shared cluster; its URL (with the
 * password) reaches the CLI through PROTIME_HOOKS_STORE, never argv.
 */
export function postgresBackend(cluster: PostgresCluster, prefix: string): StoreBackend<PostgresTestStore> {
  let databases = 0;
  const pools = new Set<pg.Pool>();
  return {
    name: 'postgres',
    async closeAll() {
      await Promise.all([...pools].map((pool) => pool.end()));
      pools.clear();
    },
    fresh() {
      const database = `${prefix}_${++databases}`;
      const url = cluster.newDatabase(database);
      // Reconnects by itself after a server restart: a broken idle client is dropped from the pool.
      const pool = new pg.Pool({ connectionString: url, max: 2 });
      pool.on('error', () => undefined);
      pools.add(pool);
      const rows = async (sql: string, params: unknown[] = []): Promise<any[]> => (await pool.query(sql, params)).rows;
      const lockGranted = async () =>
        (
          await rows(
            `select count(*)::int as n from pg_locks where locktype = 'advisory' and granted
             and classid = $1::int::oid and objid = hashtext($2)::oid and objsubid = 2`,
            [LOCK_SPACE, PROFILE],
          )
        )[0].n > 0;
      return {
        database,
        url,
        rows,
        user: (emulator) => new CliUser(emulator, { PROTIME_HOOKS_STORE: url }),
        async view() {
          const subscriptions = await rows('select id, key, doc from protime_hooks.subscriptions where profile = $1', [PROFILE]);
          const intents = await rows('select doc from protime_hooks.intents where profile = $1 order by position', [PROFILE]);
          return {
            records: Object.fromEntries(subscriptions.map((r) => [r.id, { ...r.doc, id: r.id, key: r.key }])),
            intents: intents.map((r) => r.doc),
          };
        },
        runLockHeld: lockGranted,
        async runLockLeft() {
          // The server frees a session's locks once it sees the session end, a moment after the kill.
          const deadline = Date.now() + 5_000;
          while (Date.now() < deadline) {
            if (!(await lockGranted())) return false;
            await sleep(20);
          }
          return true;
        },
        writeLockLeft: () => false,
        async close() {
          if (pools.delete(pool)) await pool.end();
        },
      };
    },
  };
}

/**
 * For a test file on PostgreSQL: one cluster for the file (sharedCluster) and a backend on it, made
 * on first use (the cluster starts in beforeAll); every store's connections closed after each test.
 */
export function sharedPostgresBackend(prefix: string): {
  cluster: () => PostgresCluster;
  backend: () => StoreBackend<PostgresTestStore>;
} {
  const cluster = sharedCluster();
  let made: StoreBackend<PostgresTestStore> | undefined;
  afterEach(async () => {
    await made?.closeAll();
  });
  const backend = () => {
    made ??= postgresBackend(cluster(), prefix);
    return made;
  };
  return { cluster, backend };
}
