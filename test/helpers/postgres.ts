/**
 * A throwaway PostgreSQL cluster for tests: `initdb` + `pg_ctl` (Debian's postgresql 15) in a temp
 * folder, on a free port on 127.0.0.1, with a database and a password-protected role (scram). Run
 * as an unprivileged user when the tests run as root (the server refuses root). Removed by stop().
 * Where the binaries are absent, `postgresSkip` says why and the suites using it are skipped.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

const BIN = process.env.PROTIME_HOOKS_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** Why the postgres suites are skipped on this machine, or undefined when they run. */
export const postgresSkip: string | undefined = existsSync(join(BIN, 'initdb'))
  ? undefined
  : `PostgreSQL binaries not found in ${BIN} (install Debian's postgresql, or set PROTIME_HOOKS_PG_BIN)`;
if (postgresSkip) console.warn(`Skipping the PostgreSQL store tests: ${postgresSkip}.`);

/** nobody: the server refuses to run as root. */
const NOBODY = 65534;

export interface PostgresCluster {
  port: number;
  /** The application role and its password; the database is named after it. */
  user: string;
  password: string;
  database: string;
  /** The URL with the password in it, for tests that pass it in the environment. */
  url: string;
  /** The URL without a password (PGPASSWORD supplies it). */
  urlWithoutPassword: string;
  /** A URL to a fresh database of its own (created now), so suites do not share state. */
  newDatabase(name: string): string;
  superuserUrl: string;
  /** One SQL statement as the superuser, in `database` (default postgres), by psql; throws when it fails. */
  superuser(sql: string, database?: string): void;
  /** pg_ctl restart (fast: sessions are ended), waiting until the server takes connections again. */
  restart(): void;
  /** Stops the server (fast: sessions are ended) and keeps its data, for resume(). */
  halt(): void;
  /** Starts a halted server again on the same port, waiting until it takes connections. */
  resume(): void;
  stop(): void;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startPostgres(): Promise<PostgresCluster> {
  const root = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'ph-pg-'));
  if (root) chownSync(dir, NOBODY, NOBODY);
  const as = (command: string, args: string[]) =>
    root
      ? execFileSync('setpriv', ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', join(BIN, command), ...args], {
          stdio: 'pipe',
        })
      : execFileSync(join(BIN, command), args, { stdio: 'pipe' });
  const superPassword = `super-${Math.random().toString(36).slice(2)}`;
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, `${superPassword}\n`, { mode: 0o600 });
  if (root) chownSync(pwfile, NOBODY, NOBODY);
  const data = join(dir, 'data');
  as('initdb', ['-D', data, '-U', 'postgres', `--pwfile=${pwfile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  const server = (action: 'start' | 'restart') =>
    as('pg_ctl', [
      '-D',
      data,
      '-l',
      join(dir, 'log'),
      '-w',
      '-m',
      'fast',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
      action,
    ]);
  server('start');
  const stop = () => {
    try {
      as('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // Already gone.
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const user = 'hooks';
  const password = `pw-${Math.random().toString(36).slice(2)}-secret`;
  const superuserUrl = `postgres://postgres:${superPassword}@127.0.0.1:${port}/postgres`;
  const psql = (sql: string, database = 'postgres') => {
    execFileSync(join(BIN, 'psql'), ['-q', '-v', 'ON_ERROR_STOP=1', '-c', sql], {
      stdio: 'pipe',
      env: {
        ...process.env,
        PGHOST: '127.0.0.1',
        PGPORT: String(port),
        PGUSER: 'postgres',
        PGPASSWORD: superPassword,
        PGDATABASE: database,
      },
    });
  };
  try {
    psql(`create role ${user} login password '${password}'`);
    psql(`create database ${user} owner ${user}`);
  } catch (error) {
    stop();
    throw error;
  }
  return {
    port,
    user,
    password,
    database: user,
    url: `postgres://${user}:${password}@127.0.0.1:${port}/${user}`,
    urlWithoutPassword: `postgres://${user}@127.0.0.1:${port}/${user}`,
    superuserUrl,
    superuser: psql,
    restart: () => server('restart'),
    halt: () => as('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']),
    resume: () => server('start'),
    newDatabase(name: string) {
      psql(`create database ${name} owner ${user}`);
      return `postgres://${user}:${password}@127.0.0.1:${port}/${name}`;
    },
    stop,
  };
}

/**
 * One cluster for the calling test file: started before its tests (unless postgresSkip), stopped
 * after them. Read `.cluster` inside a test.
 */
export function usePostgres(): { readonly cluster: PostgresCluster } {
  let cluster: PostgresCluster | undefined;
  beforeAll(async () => {
    if (!postgresSkip) cluster = await startPostgres();
  }, 60_000);
  afterAll(() => cluster?.stop());
  return {
    get cluster() {
      if (!cluster) throw new Error('the PostgreSQL cluster is not started (read it inside a test)');
      return cluster;
    },
  };
}

/** usePostgres, as a getter to call inside tests. */
export function sharedCluster(): () => PostgresCluster {
  const postgres = usePostgres();
  return () => postgres.cluster;
}
