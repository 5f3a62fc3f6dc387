import { hostname } from 'node:os';
import type { Client, Pool, PoolClient } from 'pg';
import { describeIssue } from '../shared/describe-issue.js';
import { formatDuration } from '../shared/duration.js';
import { authError, CliError, failure, temporary, usageError } from '../shared/errors.js';
import { applyAll, GroupCommit, type Outcome, type Pending } from './group-commit.js';
import type { StoreData } from './schemas.js';
import type { Release, RunLockOptions, Store, StoreHealth } from './store.js';
import { loadStoreSchema } from './store-schema.js';
import { PLAIN_STORE_VERSION, STORE_VERSION } from './versions.js';

/** The PostgreSQL schema (namespace) that holds every table by default, so the store can share a database. */
export const SCHEMA = 'protime_hooks';

/** The variable that names another schema: two states (say staging and production) in one database. */
export const SCHEMA_VARIABLE = 'PROTIME_HOOKS_STORE_SCHEMA';

/**
 * PROTIME_HOOKS_STORE_SCHEMA, checked: a plain lower-case SQL identifier (so the name a person
 * types is the name psql shows, unquoted); unset or empty: `protime_hooks`. Anything else is a
 * usage error. It is quoted as an identifier in every statement all the same.
 */
export function storeSchemaName(env: Record<string, string | undefined>): string {
  const value = env[SCHEMA_VARIABLE];
  if (value === undefined || value === '') return SCHEMA;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(value)) {
    throw usageError(
      'bad-store-schema',
      `${SCHEMA_VARIABLE} must be a lower-case SQL identifier (letters a-z, digits and _, not starting with a digit, at most 63 characters), not ${JSON.stringify(value.slice(0, 80))}.`,
      `Leave it unset for the default schema ${SCHEMA}.`,
    );
  }
  return value;
}

/** The first key of every advisory lock this store takes (the second names what is locked). */
const LOCK_SPACE = 0x7072_6f74; // "prot"
/** Second keys: the migration lock, the writers' lock. Run locks use hashtext(profile). */
const MIGRATE_LOCK = 1;
const WRITE_LOCK = 2;

/**
 * Versioned migrations of schema `s` (quoted), applied in order, each in the transaction that records it. Never edit one
 * that has shipped: add the next.
 *
 * Subscriptions, intents and profiles keep their record as a jsonb `doc` beside key columns: the
 * store's records are loose (a field a newer version adds must survive this version's writes), and
 * have a score of optional fields, so the document is the truth and the columns are what a person or
 * an index asks for (collection, destination, validity, replacement). Secrets live in columns of
 * their own, outside `doc` (client_secret, access_token, key, raw): sealed text when
 * PROTIME_HOOKS_STORE_KEY is set, so one can see at a glance which values are protected.
 */
const migrations = (s: string): string[] => [
  `create table ${s}.meta (name text primary key, value jsonb not null);
   create table ${s}.profiles (
     name text primary key,
     client_secret text,
     access_token text,
     doc jsonb not null,
     updated_at timestamptz not null default now());
   create table ${s}.subscriptions (
     profile text not null,
     id text not null,
     collection text not null,
     destination_url text not null,
     valid_until text not null,
     deleted_at text,
     replaced_by text,
     key text,
     raw text,
     doc jsonb not null,
     updated_at timestamptz not null default now(),
     primary key (profile, id));
   create table ${s}.intents (
     profile text not null,
     id text not null,
     position integer not null,
     doc jsonb not null,
     primary key (profile, id));
   create table ${s}.renew_runs (
     profile text primary key,
     last_run_at text not null,
     last_success_at text,
     consecutive_failures integer not null,
     doc jsonb not null);`,
  // 2: which store key sealed each row's secrets, derived by the server from the values themselves
  // (so no writer can let it drift, and older writers keep it right too): doctor tells sealed from
  // clear, and a missing or wrong key, without reading or opening a secret; rotating the key later
  // finds what is left to reseal with one indexed query. The pattern is seal.ts's format 1 prefix
  // (`raw` holds JSON text: a sealed answer is a JSON string, so in quotes).
  `alter table ${s}.profiles add column sealed_with text
     generated always as (substring(coalesce(client_secret, access_token) from '^phk-sealed:1:([0-9a-f]{16}):')) stored;
   alter table ${s}.subscriptions add column sealed_with text
     generated always as (substring(coalesce(key, raw) from '^"?phk-sealed:1:([0-9a-f]{16}):')) stored;
   create index subscriptions_sealed_with on ${s}.subscriptions (sealed_with);`,
];

/** The schema version this code creates and reads. */
export const SCHEMA_VERSION = migrations('x').length;

/** What the store's rows are, as text per table and key, to compare a state before and after a change. */
type Rows = Map<string, Map<string, unknown[]>>;

/** Where a postgres store is, for messages: never its password. */
export interface PostgresTarget {
  url: string;
  host: string;
  port: string;
  database: string;
  user: string;
  /** The password the URL holds, if any: for the scrubber only. */
  password: string | undefined;
}

/** A `postgres://` or `postgresql://` URL, with what it leaves out from the libpq variables. */
export function parseStoreUrl(raw: string, env: Record<string, string | undefined>): PostgresTarget {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')) {
    // Never the text itself: it may hold a password.
    throw usageError(
      'bad-store',
      '--store (or PROTIME_HOOKS_STORE) takes a postgres:// or postgresql:// URL, such as postgres://user@host:5432/database.',
      'Leave --store out for the file store in the config dir.',
    );
  }
  const param = (name: string) => url.searchParams.get(name) ?? undefined;
  const user = decodeURIComponent(url.username) || param('user') || env.PGUSER || env.USER || 'postgres';
  return {
    url: raw,
    host: decodeURIComponent(url.hostname) || param('host') || env.PGHOST || 'localhost',
    port: url.port || param('port') || env.PGPORT || '5432',
    database: decodeURIComponent(url.pathname.slice(1)) || param('dbname') || env.PGDATABASE || user,
    user,
    password: url.password ? decodeURIComponent(url.password) : undefined,
  };
}

/**
 * The shared store: the same state as the file store, in tables of one schema (`protime_hooks`
 * unless PROTIME_HOOKS_STORE_SCHEMA names another) of a PostgreSQL database, so cron on one host, a person on another and a receiver reading keys share
 * one truth. `pg` is loaded on first use only. Every update is one transaction under an advisory
 * lock (writers queue; readers never wait), committed before it resolves; run locks are session
 * advisory locks, freed by the server the moment their process dies.
 */
export class PostgresStore implements Store {
  readonly location: string;
  readonly target: PostgresTarget;
  /** The schema the tables are in (storeSchemaName). */
  readonly schema: string;
  /** The schema quoted as an identifier, for statements: set when pg is loaded, before any query. */
  #s = '';
  #pool: Promise<Pool> | undefined;
  #migrated: Promise<void> | undefined;

  constructor(target: PostgresTarget, schema = SCHEMA) {
    this.target = target;
    this.schema = schema;
    const url = `postgresql://${encodeURIComponent(target.user)}@${target.host}:${target.port}/${encodeURIComponent(target.database)}`;
    this.location = schema === SCHEMA ? url : `${url} (schema ${schema})`;
  }

  /** The connection pool, made on first use (pg loaded then); it never keeps the process alive. */
  #connect(): Promise<PoolClient> {
    this.#pool ??= import('pg').then((pg) => {
      this.#s = pg.default.escapeIdentifier(this.schema);
      const pool = new pg.default.Pool({ ...this.#config(), max: 4, allowExitOnIdle: true });
      // An idle client losing its server is told here; the next query reports it.
      pool.on('error', () => undefined);
      // The pool listens to idle clients only: a checked-out one whose server goes away mid-
      // transaction would emit an unheard 'error' and crash the process with a stack. Its queries
      // fail instead, and #transaction reports that as store-unreachable.
      pool.on('connect', (client) => client.on('error', () => undefined));
      return pool;
    });
    return this.#pool.then((pool) => pool.connect()).catch((error) => Promise.reject(this.#connectFailure(error)));
  }

  #config() {
    return {
      connectionString: this.target.url,
      connectionTimeoutMillis: 10_000,
      application_name: `protime-hooks pid ${process.pid} on ${hostname()}`,
    };
  }

  /** Closes the pool (tests; the CLI exits instead). */
  async close(): Promise<void> {
    const pool = await this.#pool?.catch(() => undefined);
    this.#pool = undefined;
    this.#migrated = undefined;
    await pool?.end();
  }

  /** Creates or upgrades the schema, once per process, under a transaction-level advisory lock. */
  migrate(): Promise<void> {
    this.#migrated ??= this.migrateTo(SCHEMA_VERSION).catch((error) => {
      this.#migrated = undefined;
      throw error;
    });
    return this.#migrated;
  }

  /**
   * Creates or upgrades the schema to `version` (the current one, but for tests that need a
   * store as an older release left it); one newer than this code is `store-too-new`, untouched.
   */
  migrateTo(version: number): Promise<void> {
    return this.#transaction(async (client) => {
      await client.query('select pg_advisory_xact_lock($1, $2)', [LOCK_SPACE, MIGRATE_LOCK]);
      await client.query(`create schema if not exists ${this.#s}`);
      await client.query(
        `create table if not exists ${this.#s}.schema_migrations (version integer primary key, applied_at timestamptz not null default now())`,
      );
      const current = await this.#version(client);
      if (current > SCHEMA_VERSION) throw this.#tooNew(current);
      const steps = migrations(this.#s);
      for (let next = current + 1; next <= version; next++) {
        await client.query(steps[next - 1]!);
        await client.query(`insert into ${this.#s}.schema_migrations (version) values ($1)`, [next]);
      }
    });
  }

  /** The schema version recorded (schema_migrations must exist). */
  async #version(client: PoolClient): Promise<number> {
    const { rows } = await client.query<{ version: number | null }>(`select max(version) as version from ${this.#s}.schema_migrations`);
    return rows[0]?.version ?? 0;
  }

  #tooNew(version: number): CliError {
    return failure('store-too-new', `The store ${this.location} was written by a newer protime-hooks (schema ${version}).`, {
      hint: 'Upgrade protime-hooks; this version leaves the database untouched.',
    });
  }

  /** The schema version and what is sealed, in one read-only snapshot: nothing created, migrated or opened. */
  health(): Promise<StoreHealth> {
    return this.#transaction(async (client) => {
      const { rows } = await client.query<{ present: boolean }>(
        `select to_regclass(format('%I.schema_migrations', $1::text)) is not null as present`,
        [this.schema],
      );
      const schemaVersion = rows[0]?.present ? await this.#version(client) : 0;
      const health: StoreHealth = { schemaVersion, currentVersion: SCHEMA_VERSION, secrets: null };
      // sealed_with came with schema 2; a newer schema is not this code's to read.
      if (schemaVersion < 2 || schemaVersion > SCHEMA_VERSION) return health;
      const counted = await client.query<{ sealed_with: string | null; n: number }>(
        `select sealed_with, count(*)::int as n from (
           select sealed_with from ${this.#s}.profiles where coalesce(client_secret, access_token) is not null
           union all
           select sealed_with from ${this.#s}.subscriptions where coalesce(key, raw) is not null) secrets
         group by sealed_with`,
      );
      const secrets = { sealedWith: {} as Record<string, number>, clear: 0 };
      for (const { sealed_with: id, n } of counted.rows) {
        if (id === null) secrets.clear = n;
        else secrets.sealedWith[id] = n;
      }
      return { ...health, secrets };
    }, 'begin isolation level repeatable read read only');
  }

  async read(): Promise<StoreData> {
    await this.migrate();
    // One snapshot: every table as of the same moment.
    return this.#transaction((client) => this.#load(client), 'begin isolation level repeatable read read only');
  }

  /**
   * Changes asked for while a transaction is in flight share the next one (group-commit.ts).
   */
  update<T>(change: (data: StoreData) => T | Promise<T>): Promise<T> {
    return this.#commits.enqueue(change);
  }

  readonly #commits = new GroupCommit((batch) => this.#commit(batch));

  async #commit(batch: Pending[]): Promise<void> {
    let outcomes: Outcome[];
    try {
      await this.migrate();
      outcomes = await this.#transaction(async (client) => {
        // Writers one at a time, across every host; readers are not blocked.
        await client.query('select pg_advisory_xact_lock($1, $2)', [LOCK_SPACE, WRITE_LOCK]);
        const before = await this.#load(client);
        const beforeRows = rowsOf(before);
        const applied = await applyAll(batch, () => structuredClone(before));
        if (applied.outcomes.some((o) => o.ok)) await writeDifferences(client, this.#s, beforeRows, rowsOf(applied.data));
        return applied.outcomes;
      });
    } catch (error) {
      for (const pending of batch) pending.reject(error);
      return;
    }
    batch.forEach((pending, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) pending.resolve(outcome.value);
      else pending.reject(outcome.error);
    });
  }

  /** Runs `work` in one transaction on a pooled connection: committed, or rolled back on any error. */
  async #transaction<T>(work: (client: PoolClient) => Promise<T>, begin = 'begin'): Promise<T> {
    const client = await this.#connect();
    let broken = false;
    try {
      await client.query(begin);
      const result = await work(client);
      await client.query('commit');
      return result;
    } catch (error) {
      await client.query('rollback').catch(() => {
        broken = true;
      });
      throw error instanceof CliError ? error : this.#queryFailure(error);
    } finally {
      client.release(broken);
    }
  }

  async #load(client: PoolClient): Promise<StoreData> {
    const q = async (sql: string) => (await client.query(sql)).rows;
    const data: Record<string, unknown> = { schemaVersion: PLAIN_STORE_VERSION, profiles: {}, subscriptions: {} };
    const s = this.#s;
    for (const row of await q(`select name, value from ${s}.meta`)) data[row.name] = row.value;
    const profiles = data.profiles as Record<string, Record<string, unknown>>;
    for (const row of await q(`select name, client_secret, access_token, doc from ${s}.profiles`)) {
      const profile = { ...row.doc };
      if (row.client_secret !== null) profile.clientSecret = row.client_secret;
      if (row.access_token !== null && profile.token) profile.token = { ...profile.token, accessToken: row.access_token };
      profiles[row.name] = profile;
    }
    const subscriptions = data.subscriptions as Record<string, Record<string, unknown>>;
    for (const row of await q(`select profile, id, key, raw, doc from ${s}.subscriptions order by profile, id`)) {
      const record = { ...row.doc, key: row.key };
      if (row.raw !== null) record.raw = this.#parseRaw(row);
      subscriptions[row.profile] ??= {};
      subscriptions[row.profile]![row.id] = record;
    }
    const intents: Record<string, unknown[]> = {};
    for (const row of await q(`select profile, doc from ${s}.intents order by profile, position`)) {
      intents[row.profile] ??= [];
      intents[row.profile]!.push(row.doc);
    }
    if (Object.keys(intents).length > 0) data.intents = intents;
    const renewRuns: Record<string, unknown> = {};
    for (const row of await q(`select profile, doc from ${s}.renew_runs`)) renewRuns[row.profile] = row.doc;
    if (Object.keys(renewRuns).length > 0) data.renewRuns = renewRuns;
    const version = data.schemaVersion;
    if (typeof version === 'number' && version > STORE_VERSION) {
      throw failure('store-too-new', `The store ${this.location} was written by a newer protime-hooks (format ${version}).`, {
        hint: 'Upgrade protime-hooks; this version leaves the database untouched.',
      });
    }
    const parsed = (await loadStoreSchema()).safeParse(data);
    if (!parsed.success) {
      throw failure('store-invalid', `The store ${this.location} holds a damaged record (${describeIssue(parsed.error)}).`, {
        hint: 'It was left untouched. Fix or remove the row it names.',
      });
    }
    return parsed.data;
  }

  /** A create answer's JSON text; text that is not JSON (edited by hand) is a damaged record, not a lost server. */
  #parseRaw(row: { profile: string; id: string; raw: string }): unknown {
    try {
      return JSON.parse(row.raw);
    } catch {
      throw failure(
        'store-invalid',
        `The store ${this.location} holds a damaged record (subscriptions row ${row.profile}/${row.id}: raw is not JSON).`,
        { hint: 'It was left untouched. Fix or remove the row it names.' },
      );
    }
  }

  async runLock(profile: string, command: string, options: RunLockOptions): Promise<Release> {
    const pg = await import('pg');
    // A connection of its own, held for the run: the lock is the session's, so it ends with it.
    const client: Client = new pg.default.Client({
      ...this.#config(),
      application_name: `protime-hooks ${command.slice(0, 20)}, pid ${process.pid} on ${hostname()}`.slice(0, 63),
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      throw this.#connectFailure(error);
    }
    const sleep = options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
    const deadline = Date.now() + options.waitMs;
    let told = false;
    try {
      for (;;) {
        const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1, hashtext($2)) as locked', [
          LOCK_SPACE,
          profile,
        ]);
        if (rows[0]?.locked) break;
        const owner = await this.#holder(client, profile);
        if (Date.now() >= deadline) {
          throw temporary('run-locked', `Another protime-hooks run holds profile "${profile}"${owner ? ` (${owner})` : ''}.`, {
            hint: 'It exits when done; try again later, or pass --wait <duration> to wait for it.',
          });
        }
        if (!told && options.onWait) {
          told = true;
          options.onWait(
            `Waiting up to ${formatDuration(Math.ceil(options.waitMs / 1000))} for profile "${profile}"'s run lock, held by ${owner ?? 'another protime-hooks run'}.`,
          );
        }
        await sleep(Math.min(250, Math.max(0, deadline - Date.now())));
      }
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error instanceof CliError ? error : this.#queryFailure(error);
    }
    let released = false;
    // The lock lives as long as its session: a server restart or a dropped connection ends both.
    let lost: CliError | undefined;
    const onLost = () => {
      if (released) return;
      lost ??= temporary(
        'run-lock-lost',
        `Profile "${profile}"'s run lock was lost: the PostgreSQL session holding it ended (${this.#where()}).`,
        {
          hint: 'Nothing more is created in this run; another run may hold the profile now. Run the command again.',
        },
      );
    };
    client.on('error', onLost);
    client.on('end', onLost);
    const release = async () => {
      if (released) return;
      released = true;
      // Closing the session frees its lock even when the unlock itself cannot be sent.
      await client.query('select pg_advisory_unlock($1, hashtext($2))', [LOCK_SPACE, profile]).catch(() => undefined);
      await client.end().catch(() => undefined);
    };
    return Object.assign(release, { lost: () => lost });
  }

  /** Who holds a profile's run lock, from the holder's application name (best effort: null when not visible). */
  async #holder(client: Client, profile: string): Promise<string | null> {
    const { rows } = await client
      .query<{ name: string }>(
        `select a.application_name as name from pg_locks l join pg_stat_activity a on a.pid = l.pid
         where l.locktype = 'advisory' and l.granted and l.classid = $1::int::oid and l.objid = hashtext($2)::oid and l.objsubid = 2`,
        [LOCK_SPACE, profile],
      )
      .catch(() => ({ rows: [] as { name: string }[] }));
    return rows[0]?.name || null;
  }

  #where(): string {
    return `host ${this.target.host} port ${this.target.port}, database ${this.target.database}`;
  }

  /** A connection that failed: refused credentials (exit 4), no such database (1), else unreachable (75). */
  #connectFailure(error: unknown): CliError {
    if (error instanceof CliError) return error;
    const code = (error as { code?: string }).code ?? '';
    const reason = describePgError(error);
    // pg asks for a password the server wants only then, and says so without a code.
    const noPassword = /password must be a string|password must be a non-empty string/.test(reason);
    if (code === '28P01' || code === '28000' || noPassword) {
      const why = noPassword ? 'it asks for a password and none is set' : reason;
      return authError('store-auth', `The PostgreSQL store (${this.#where()}) refused user "${this.target.user}": ${why}.`, {
        hint: 'Check the user and password in PROTIME_HOOKS_STORE (or PGUSER/PGPASSWORD) and the server’s pg_hba.conf.',
        cause: error,
      });
    }
    if (code === '3D000') {
      return failure('store-no-database', `The PostgreSQL store (${this.#where()}) has no such database: ${reason}.`, {
        hint: 'Create it (`createdb`), or fix the database name in the store URL.',
        cause: error,
      });
    }
    return temporary('store-unreachable', `Cannot reach the PostgreSQL store (${this.#where()}): ${reason}.`, {
      hint: 'Check that the server is running and reachable from here; the command can be run again safely.',
      cause: error,
    });
  }

  /** A query that failed: a lost connection is temporary; anything else is the database refusing it. */
  #queryFailure(error: unknown): CliError {
    const code = (error as { code?: string }).code ?? '';
    if (!/^[0-9A-Z]{5}$/.test(code) || code.startsWith('08') || code.startsWith('57')) return this.#connectFailure(error);
    if (code === '42501') {
      return failure('store-denied', `The PostgreSQL store (${this.#where()}) denied access: ${describePgError(error)}.`, {
        hint: `Grant user "${this.target.user}" the use of schema ${this.schema} (or let it create it).`,
        cause: error,
      });
    }
    return failure('store-failed', `The PostgreSQL store (${this.#where()}) failed: ${describePgError(error)}.`, { cause: error });
  }
}

function describePgError(error: unknown): string {
  const e = error as { message?: string; code?: string; errors?: { message: string }[] };
  // Node's AggregateError (IPv4 and IPv6 both refused) has an empty message of its own.
  const message = e.message || e.errors?.map((inner) => inner.message).join('; ') || e.code || String(error);
  return message.replace(/\.$/, '');
}

/** The rows a state is stored as: per table, a key and its column values. */
function rowsOf(data: StoreData): Rows {
  const tables: Rows = new Map([
    ['meta', new Map()],
    ['profiles', new Map()],
    ['subscriptions', new Map()],
    ['intents', new Map()],
    ['renew_runs', new Map()],
  ]);
  const { profiles, subscriptions, intents, renewRuns, ...meta } = data;
  for (const [name, value] of Object.entries(meta)) tables.get('meta')!.set(JSON.stringify([name]), [name, JSON.stringify(value)]);
  for (const [name, entry] of Object.entries(profiles)) {
    const { clientSecret, ...doc } = entry;
    let accessToken: string | null = null;
    if (doc.token) {
      const { accessToken: token, ...rest } = doc.token;
      accessToken = token;
      doc.token = rest as typeof doc.token;
    }
    tables.get('profiles')!.set(JSON.stringify([name]), [name, clientSecret ?? null, accessToken, JSON.stringify(doc)]);
  }
  for (const [profile, records] of Object.entries(subscriptions)) {
    for (const [id, record] of Object.entries(records)) {
      const { key, raw, ...doc } = record;
      tables
        .get('subscriptions')!
        .set(JSON.stringify([profile, id]), [
          profile,
          id,
          record.collection,
          record.destinationUrl,
          record.validUntil,
          record.deletedAt ?? null,
          record.replacedBy ?? null,
          key,
          raw === undefined ? null : JSON.stringify(raw),
          JSON.stringify(doc),
        ]);
    }
  }
  for (const [profile, list] of Object.entries(intents ?? {})) {
    list.forEach((intent, position) => {
      tables.get('intents')!.set(JSON.stringify([profile, intent.id]), [profile, intent.id, position, JSON.stringify(intent)]);
    });
  }
  for (const [profile, run] of Object.entries(renewRuns ?? {})) {
    tables
      .get('renew_runs')!
      .set(JSON.stringify([profile]), [profile, run.lastRunAt, run.lastSuccessAt, run.consecutiveFailures, JSON.stringify(run)]);
  }
  return tables;
}

const COLUMNS: Record<string, { columns: string[]; keys: number }> = {
  meta: { columns: ['name', 'value'], keys: 1 },
  profiles: { columns: ['name', 'client_secret', 'access_token', 'doc'], keys: 1 },
  subscriptions: {
    columns: ['profile', 'id', 'collection', 'destination_url', 'valid_until', 'deleted_at', 'replaced_by', 'key', 'raw', 'doc'],
    keys: 2,
  },
  intents: { columns: ['profile', 'id', 'position', 'doc'], keys: 2 },
  renew_runs: { columns: ['profile', 'last_run_at', 'last_success_at', 'consecutive_failures', 'doc'], keys: 1 },
};

/** Upserts the rows that changed and deletes the rows that went: a renew rewrites two rows, not the state. */
async function writeDifferences(client: PoolClient, s: string, before: Rows, after: Rows): Promise<void> {
  for (const [table, { columns, keys }] of Object.entries(COLUMNS)) {
    const old = before.get(table)!;
    const now = after.get(table)!;
    const keyColumns = columns.slice(0, keys);
    for (const [id, values] of old) {
      if (now.has(id)) continue;
      const where = keyColumns.map((column, i) => `${column} = $${i + 1}`).join(' and ');
      await client.query(`delete from ${s}.${table} where ${where}`, values.slice(0, keys));
    }
    for (const [id, values] of now) {
      const previous = old.get(id);
      if (previous && JSON.stringify(previous) === JSON.stringify(values)) continue;
      const placeholders = columns.map((_, i) => `$${i + 1}`).join(', ');
      const updates = columns
        .slice(keys)
        .map((column) => `${column} = excluded.${column}`)
        .join(', ');
      const stamp = table === 'profiles' || table === 'subscriptions' ? ', updated_at = now()' : '';
      await client.query(
        `insert into ${s}.${table} (${columns.join(', ')}) values (${placeholders})
         on conflict (${keyColumns.join(', ')}) do update set ${updates}${stamp}`,
        values,
      );
    }
  }
}
