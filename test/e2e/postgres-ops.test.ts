/**
 * Running the PostgreSQL store, as an operator meets it: the built binary against the emulator on
 * a real throwaway cluster. The schema chosen by PROTIME_HOOKS_STORE_SCHEMA, the warning that
 * secrets are stored in clear, what `pg_dump` of a sealed store holds, doctor's `store` check, and
 * the README's Kubernetes CronJob, run as Kubernetes would run it.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { PostgresStore, parseStoreUrl } from '../../src/state/postgres-store.js';
import { postgresSkip, usePostgres } from '../helpers/postgres.js';
import { readmeBlocks } from '../helpers/readme.js';
import { secretForms } from '../helpers/secrets.js';
import { CliUser, EmulatorProcess, expectExit, removeTempDirs, stopAll } from './emulator-process.js';
import { runBinary } from './run-binary.js';

const postgres = usePostgres();
let databases = 0;

afterEach(async () => {
  await stopAll();
  removeTempDirs();
});

const URL = 'http://127.0.0.1:9/pg-ops';
const PG_DUMP = join(process.env.PROTIME_HOOKS_PG_BIN ?? '/usr/lib/postgresql/15/bin', 'pg_dump');
const CLEAR = /^\[warn\] Secrets are stored in clear in postgresql:\/\/hooks@127\.0\.0\.1:\d+\/\w+.*PROTIME_HOOKS_STORE_KEY/gm;
const newKey = () => randomBytes(32).toString('base64');

/** A database of its own, its URL without the password (PGPASSWORD, set for every user, holds it). */
function database(): string {
  return postgres.cluster.newDatabase(`ops_${++databases}`).replace(`:${postgres.cluster.password}@`, '@');
}

/** `url` with the password, for the test's own connections. */
const withPassword = (url: string) => url.replace('hooks@', `hooks:${postgres.cluster.password}@`);

/** A user of the store at `url`, with `env` besides (a store key, a schema). */
function storeUser(emulator: EmulatorProcess, url: string, env: Record<string, string> = {}): CliUser {
  return new CliUser(emulator, { PROTIME_HOOKS_STORE: url, PGPASSWORD: postgres.cluster.password, ...env });
}

async function sql(url: string, text: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString: withPassword(url) });
  await client.connect();
  try {
    return (await client.query(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** doctor --json: its exit code and checks by name. */
async function doctor(user: CliUser, env: Record<string, string> = {}) {
  const run = await user.run(['doctor', '--json'], { env });
  const checks = JSON.parse(run.stdout).checks as { name: string; status: string; detail: string }[];
  return { run, names: checks.map((c) => c.name), byName: Object.fromEntries(checks.map((c) => [c.name, c])) };
}

describe.skipIf(postgresSkip)('PROTIME_HOOKS_STORE_SCHEMA', () => {
  it('keeps a state apart in a schema of its own; a name that is not a plain identifier is exit 2 bad-store-schema', async () => {
    const emulator = await EmulatorProcess.start();
    const url = database();
    const staging = storeUser(emulator, url, { PROTIME_HOOKS_STORE_SCHEMA: 'staging' });
    expectExit(await staging.login(), 0, 'login in schema staging');
    expect(expectExit(await staging.run(['profiles', '--json']), 0, 'profiles').json()).toHaveLength(1);
    const production = storeUser(emulator, url);
    expect(expectExit(await production.run(['profiles', '--json']), 0, 'profiles in protime_hooks').json()).toEqual([]);
    expect((await sql(url, 'select name from staging.profiles')).map((r) => r.name)).toEqual(['default']);

    for (const schema of ['Staging', 'x; drop schema staging']) {
      const bad = expectExit(await staging.run(['status', '--json'], { env: { PROTIME_HOOKS_STORE_SCHEMA: schema } }), 2, schema);
      expect(bad.json().error.code).toBe('bad-store-schema');
      expect(bad.stderr).not.toMatch(/\n\s+at \S/);
    }
    expect((await sql(url, 'select name from staging.profiles')).map((r) => r.name)).toEqual(['default']);
  }, 60_000);
});

describe.skipIf(postgresSkip)('secrets stored in clear', () => {
  it('without a store key, a command that stores a secret warns once on stderr; a read-only one does not; --quiet holds it back', async () => {
    const emulator = await EmulatorProcess.start();
    const user = storeUser(emulator, database());
    const login = expectExit(await user.login(), 0, 'login');
    expect(login.stderr.match(CLEAR)).toHaveLength(1);
    // The secret, the key and the token: several writes, one warning; stdout still one JSON document.
    const subscribe = expectExit(await user.run(['subscribe', 'contracts', '--url', URL, '--json']), 0, 'subscribe');
    expect(subscribe.stderr.match(CLEAR)).toHaveLength(1);
    expect(subscribe.json().key).toEqual(expect.any(String));
    expect(subscribe.stdout).not.toContain('stored in clear');
    const keys = expectExit(await user.run(['keys', '--json']), 0, 'keys');
    expect(keys.stderr).not.toContain('stored in clear');
    const quiet = expectExit(await user.run(['subscribe', 'people', '--url', URL, '--quiet']), 0, 'subscribe --quiet');
    expect(quiet.stderr).not.toContain('stored in clear');
  }, 60_000);

  it('says nothing with a store key, nor for the file store', async () => {
    const emulator = await EmulatorProcess.start();
    for (const user of [storeUser(emulator, database(), { PROTIME_HOOKS_STORE_KEY: newKey() }), new CliUser(emulator)]) {
      const runs = [
        expectExit(await user.login(), 0, 'login'),
        expectExit(await user.run(['subscribe', 'contracts', '--url', URL]), 0, 'subscribe'),
      ];
      for (const run of runs) expect(run.stderr).not.toContain('stored in clear');
    }
  }, 60_000);
});

describe.skipIf(postgresSkip)('a sealed PostgreSQL store at rest', () => {
  it('pg_dump holds no client secret, token or webhook key (old or new, raw or encoded); export holds them only with --include-secrets', async () => {
    const emulator = await EmulatorProcess.start();
    const url = database();
    const user = storeUser(emulator, url, { PROTIME_HOOKS_STORE_KEY: newKey() });
    expectExit(await user.login(), 0, 'login');
    const created = expectExit(await user.run(['subscribe', 'contracts', '--url', URL, '--json']), 0, 'subscribe').json();
    const renewed = expectExit(await user.run(['renew', created.id, '--json', '--keep-old']), 0, 'renew').json().results[0];
    expect(renewed).toMatchObject({ action: 'renewed', oldId: created.id });
    const full = expectExit(await user.run(['store', 'export', '--include-secrets']), 0, 'export --include-secrets');
    const token: string = full.json().profiles.default.token.accessToken;
    const secrets = [emulator.info.clientSecret, token, created.key, renewed.key];
    expect(new Set(secrets).size).toBe(4);
    for (const secret of secrets) expect(full.stdout).toContain(secret);

    // As the store's own role, the password in the environment only.
    const dump = execFileSync(PG_DUMP, ['--no-password', url], {
      env: { PATH: process.env.PATH ?? '', PGPASSWORD: postgres.cluster.password },
      maxBuffer: 64 * 1024 * 1024,
    }).toString('latin1');
    // The dump has the rows (both webhooks, sealed values), so their absence means something.
    for (const id of [created.id, renewed.newId]) expect(dump).toContain(id);
    expect(dump).toContain('phk-sealed:1:');
    const plain = expectExit(await user.run(['store', 'export']), 0, 'export').stdout;
    expect(plain).toContain(renewed.newId);
    for (const secret of secrets) {
      for (const form of secretForms(secret)) {
        expect(dump).not.toContain(form);
        expect(plain).not.toContain(form);
      }
    }
  }, 60_000);
});

describe.skipIf(postgresSkip)("doctor's store check on PostgreSQL", () => {
  it('a current, sealed store: ok, schema and key id named, the store check before the state; no config dir needed', async () => {
    const emulator = await EmulatorProcess.start();
    const key = newKey();
    const user = storeUser(emulator, database(), { PROTIME_HOOKS_STORE_KEY: key });
    expectExit(await user.login(), 0, 'login');
    expectExit(await user.run(['subscribe', 'contracts', '--url', URL]), 0, 'subscribe');
    const { run, names, byName } = await doctor(user);
    expect(names).toEqual(['config-dir', 'store', 'state', 'login', 'token', 'api', 'clock', 'hooks', 'keys-file']);
    expect(byName.store!.status).toBe('ok');
    const keyId = expectExit(await user.run(['store', 'migrate', '--json']), 0, 'migrate').json().keyId;
    expect(byName.store!.detail).toMatch(
      new RegExp(
        `^postgresql://hooks@127\\.0\\.0\\.1:\\d+/ops_\\d+ reachable; schema version 2 \\(current\\); secrets sealed with key id ${keyId} \\(2 record\\(s\\)\\)$`,
      ),
    );
    expect(byName['config-dir']).toMatchObject({ status: 'ok', detail: 'none (not needed: the state is in PostgreSQL)' });
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout + run.stderr).not.toContain(postgres.cluster.password);
  }, 60_000);

  it('warns of secrets in clear without a key (exit 3), and fails a sealed store whose key is missing or wrong (exit 1)', async () => {
    const emulator = await EmulatorProcess.start();
    const clear = storeUser(emulator, database());
    expectExit(await clear.login(), 0, 'login');
    const inClear = await doctor(clear);
    expect(inClear.byName.store).toMatchObject({ status: 'warn' });
    expect(inClear.byName.store!.detail).toContain('secrets stored in clear (1 record(s))');
    expect(inClear.byName.store!.detail).toContain('PROTIME_HOOKS_STORE_KEY');
    expect(inClear.byName.state!.status).toBe('ok');
    expect(inClear.run.code).toBe(3);

    const sealed = storeUser(emulator, database(), { PROTIME_HOOKS_STORE_KEY: newKey() });
    expectExit(await sealed.login(), 0, 'login sealed');
    for (const [storeKey, code] of [
      ['', 'store-key-missing'],
      [newKey(), 'store-key-wrong'],
    ] as const) {
      const { run, names, byName } = await doctor(sealed, { PROTIME_HOOKS_STORE_KEY: storeKey });
      expect(run.code).toBe(1);
      expect(byName.store!.status).toBe('fail');
      expect(byName.store!.detail).toContain(`(${code})`);
      expect(byName.store!.detail).toContain('PROTIME_HOOKS_STORE_KEY');
      // Nothing else can be read without the key: left out.
      expect(names).toEqual(['config-dir', 'store']);
    }
  }, 60_000);

  it('a pending migration is a warning (exit 3) and doctor leaves it pending; a newer schema fails store-too-new; unreachable fails store-unreachable', async () => {
    const emulator = await EmulatorProcess.start();
    const url = database();
    const old = new PostgresStore(parseStoreUrl(withPassword(url), {}));
    await old.migrateTo(1);
    await old.close();
    const user = storeUser(emulator, url, { PROTIME_HOOKS_STORE_KEY: newKey() });
    const versions = async () => (await sql(url, 'select version from protime_hooks.schema_migrations order by 1')).map((r) => r.version);

    const pending = await doctor(user);
    expect(pending.run.code).toBe(3);
    expect(pending.byName.store).toMatchObject({ status: 'warn' });
    expect(pending.byName.store!.detail).toContain('schema version 1, a migration to 2 is pending: run `protime-hooks store migrate`');
    expect(pending.names).toEqual(['config-dir', 'store']);
    expect(await versions()).toEqual([1]);

    expectExit(await user.run(['store', 'migrate']), 0, 'migrate');
    expect(await versions()).toEqual([1, 2]);
    expect((await doctor(user)).byName.store!.detail).toContain('schema version 2 (current)');

    await sql(url, 'insert into protime_hooks.schema_migrations (version) values (3)');
    const newer = await doctor(user);
    expect(newer.run.code).toBe(1);
    expect(newer.byName.store).toMatchObject({ status: 'fail' });
    expect(newer.byName.store!.detail).toContain("schema version 3 is newer than this protime-hooks' (2) (store-too-new)");
    expect(await versions()).toEqual([1, 2, 3]);

    const down = await doctor(storeUser(emulator, 'postgres://hooks@127.0.0.1:9/hooks'));
    expect(down.run.code).toBe(1);
    expect(down.byName.store).toMatchObject({ status: 'fail' });
    expect(down.byName.store!.detail).toMatch(
      /^store-unreachable: Cannot reach the PostgreSQL store \(host 127\.0\.0\.1 port 9, database hooks\)/,
    );
    expect(down.names).toEqual(['config-dir', 'store']);
  }, 60_000);
});

/** Every source file's text: an environment variable the README names must be read there. */
function sourceText(): string {
  const src = fileURLToPath(new globalThis.URL('../../src', import.meta.url));
  return (readdirSync(src, { recursive: true }) as string[])
    .filter((name) => name.endsWith('.ts'))
    .map((name) => readFileSync(join(src, name), 'utf8'))
    .join('\n');
}

interface EnvEntry {
  name: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}

describe.skipIf(postgresSkip)("the README's Kubernetes CronJob", () => {
  it('parses, forbids overlapping runs, names only variables the code reads, and renews when run with just its Secret', async () => {
    const blocks = readmeBlocks('Which store').filter((b) => b.lang === 'yaml');
    expect(blocks).toHaveLength(1);
    const documents = parseAllDocuments(blocks[0]!.text);
    expect(Array.isArray(documents)).toBe(true);
    const manifests = (documents as Exclude<typeof documents, { empty: true }>).map((d) => {
      expect(d.errors).toEqual([]);
      return d.toJS();
    });
    expect(manifests.map((m) => `${m.apiVersion} ${m.kind}`)).toEqual(['v1 Secret', 'batch/v1 CronJob']);
    const [secret, cronJob] = manifests;
    expect(cronJob.spec.concurrencyPolicy).toBe('Forbid');
    expect(cronJob.spec.schedule.split(' ')).toHaveLength(5);
    const pod = cronJob.spec.jobTemplate.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    const [container] = pod.containers as { args: string[]; env: EnvEntry[] }[];
    expect(container!.args.slice(0, 3)).toEqual(['protime-hooks', 'renew', '--all-profiles']);

    const names = container!.env.map((e) => e.name);
    expect(names).toEqual(['PROTIME_HOOKS_STORE', 'PROTIME_HOOKS_STORE_KEY']);
    const source = sourceText();
    for (const name of names) expect(source).toMatch(new RegExp(`env\\.${name}\\b|'${name}'`));
    for (const { valueFrom } of container!.env) {
      expect(valueFrom?.secretKeyRef?.name).toBe(secret.metadata.name);
      expect(Object.keys(secret.stringData)).toContain(valueFrom!.secretKeyRef!.key);
    }

    // Run as the pod would: the Secret's values (ours in place of CHANGE-ME) as its only
    // environment, no HOME, no config dir, the container's args.
    const emulator = await EmulatorProcess.start();
    const url = withPassword(database());
    const values: Record<string, string> = { PROTIME_HOOKS_STORE: url, PROTIME_HOOKS_STORE_KEY: newKey() };
    const admin = new CliUser(emulator, values);
    expectExit(await admin.login(), 0, 'login from a workstation');
    const created = expectExit(await admin.run(['subscribe', 'contracts', '--url', URL, '--json']), 0, 'subscribe').json();
    const podEnv = Object.fromEntries(container!.env.map((e) => [e.name, values[e.name]!]));
    // --renew-within makes the new webhook due now; --json to read what the job did.
    const job = await runBinary([...container!.args.slice(1), '--renew-within', '3000d', '--json'], { env: podEnv, cwd: admin.cwd });
    expectExit(job, 0, 'the CronJob');
    const results = job.json().profiles[0].results;
    expect(results).toEqual([expect.objectContaining({ action: 'renewed', oldId: created.id })]);
    const keys = expectExit(await admin.run(['keys', '--json']), 0, 'keys').json() as Array<{ id: string; current: boolean }>;
    expect(keys.find((k) => k.current)?.id).toBe(results[0].newId);
  }, 60_000);
});
