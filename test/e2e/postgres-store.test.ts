/**
 * The PostgreSQL store as a user meets it: the built binary against the emulator with
 * PROTIME_HOOKS_STORE set, on a real throwaway cluster; two "hosts" (two config dirs) sharing it.
 */

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { postgresSkip, sharedCluster } from '../helpers/postgres.js';
import { CliUser, EmulatorProcess, expectExit, removeTempDirs, stopAll } from './emulator-process.js';

const cluster = sharedCluster();
let databases = 0;

afterEach(async () => {
  await stopAll();
  removeTempDirs();
});

const URL = 'http://127.0.0.1:9/pg-store';
const HOLDER = fileURLToPath(new globalThis.URL('../state/fixtures/hold-pg-lock.ts', import.meta.url));

/** One query on a connection of its own, closed whatever happens. */
async function query(url: string, sql: string) {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe.skipIf(postgresSkip)('--store postgres:// (the built binary)', () => {
  it('login, subscribe, status, renew and keys work with the state in PostgreSQL, and nothing in the config dir', async () => {
    const emulator = await EmulatorProcess.start();
    const url = cluster().newDatabase(`e2e_${++databases}`);
    // The password from PGPASSWORD, the rest from the URL: nothing secret in argv.
    const user = new CliUser(emulator, { PGPASSWORD: cluster().password });
    const store = ['--store', url.replace(`:${cluster().password}@`, '@')];
    expectExit(await user.login(undefined, store), 0, 'login');
    const created = expectExit(await user.run([...store, 'subscribe', 'contracts', '--url', URL, '--json']), 0, 'subscribe').json();
    const renewed = expectExit(await user.run([...store, 'renew', created.id, '--json']), 0, 'renew').json().results[0];
    expect(renewed).toMatchObject({ action: 'renewed', oldId: created.id });
    expect(expectExit(await user.run([...store, 'status', '--json']), 0, 'status').json().summary.ok).toBe(1);
    const keys = expectExit(await user.run([...store, 'keys', '--json']), 0, 'keys').json() as Array<{ key: string; current: boolean }>;
    expect(keys.find((k) => k.current)?.key).toBe(renewed.key);
    expect(existsSync(user.stateFile)).toBe(false);

    const migrate = expectExit(await user.run([...store, 'store', 'migrate']), 0, 'migrate');
    expect(migrate.stdout).toContain(`postgresql://hooks@127.0.0.1:${cluster().port}/e2e_${databases}`);
    expect(migrate.stdout + migrate.stderr).not.toContain(cluster().password);

    // The keys are rows of the database.
    const rows = await query(url, 'select id, key from protime_hooks.subscriptions');
    expect(Object.fromEntries(rows.map((r) => [r.id, r.key]))).toMatchObject({ [created.id]: created.key, [renewed.newId]: renewed.key });
  }, 60_000);

  it('two hosts share one truth: login on one, status and keys on the other; a store key seals the secrets on both', async () => {
    const emulator = await EmulatorProcess.start();
    const url = cluster().newDatabase(`e2e_${++databases}`);
    const env = { PROTIME_HOOKS_STORE: url, PROTIME_HOOKS_STORE_KEY: randomBytes(32).toString('base64') };
    const cron = new CliUser(emulator, env);
    const receiver = new CliUser(emulator, env);
    expectExit(await cron.login(), 0, 'login on host A');
    const created = expectExit(await cron.run(['subscribe', 'contracts', '--url', URL, '--json']), 0, 'subscribe on A').json();
    const status = expectExit(await receiver.run(['status', '--json']), 0, 'status on B').json();
    expect(status.summary.ok).toBe(1);
    const keys = expectExit(await receiver.run(['keys', '--json']), 0, 'keys on B').json() as Array<{ id: string; key: string }>;
    expect(keys).toEqual([expect.objectContaining({ id: created.id, key: created.key })]);
    const renewed = expectExit(await receiver.run(['renew', created.id, '--json']), 0, 'renew on B').json().results[0];
    const after = expectExit(await cron.run(['keys', '--json']), 0, 'keys on A').json() as Array<{ id: string; current: boolean }>;
    expect(after.find((k) => k.current)?.id).toBe(renewed.newId);

    // Sealed at rest: no secret in the tables.
    const dump = JSON.stringify([
      await query(url, 'select * from protime_hooks.subscriptions'),
      await query(url, 'select * from protime_hooks.profiles'),
    ]);
    for (const secret of [created.key, renewed.key, emulator.info.clientSecret]) expect(dump).not.toContain(secret);
  }, 60_000);

  it('renew meets a run lock held on another host (exit 75 run-locked), and runs at once after that holder is SIGKILLed', async () => {
    const emulator = await EmulatorProcess.start();
    const url = cluster().newDatabase(`e2e_${++databases}`);
    const user = new CliUser(emulator, { PROTIME_HOOKS_STORE: url });
    expectExit(await user.login(), 0, 'login');
    const created = expectExit(await user.run(['subscribe', 'contracts', '--url', URL, '--json']), 0, 'subscribe').json();
    const holder = spawn(process.execPath, ['--import', 'tsx', HOLDER, url], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      holder.stdout.on('data', (chunk) => String(chunk).includes('held') && resolve());
      holder.on('exit', (code) => reject(new Error(`holder exited with ${code}`)));
    });
    const locked = expectExit(await user.run(['renew', created.id, '--json']), 75, 'renew while held').json();
    expect(locked.error.code).toBe('run-locked');
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.on('exit', resolve));
    const renewed = expectExit(await user.run(['renew', created.id, '--json']), 0, 'renew after the kill').json().results[0];
    expect(renewed).toMatchObject({ action: 'renewed', oldId: created.id });
  }, 60_000);

  it('store export from the file store | store import into PostgreSQL moves every key', async () => {
    const emulator = await EmulatorProcess.start();
    const local = new CliUser(emulator);
    expectExit(await local.login(), 0, 'login on the file store');
    const created = expectExit(await local.run(['subscribe', 'contracts', '--url', URL, '--json']), 0, 'subscribe').json();
    const exported = expectExit(await local.run(['store', 'export', '--include-secrets']), 0, 'export').stdout;
    const shared = new CliUser(emulator, { PROTIME_HOOKS_STORE: cluster().newDatabase(`e2e_${++databases}`) });
    expectExit(await shared.run(['store', 'import'], { stdin: exported }), 0, 'import into PostgreSQL');
    const keys = expectExit(await shared.run(['keys', '--json']), 0, 'keys on PostgreSQL').json() as Array<{ id: string; key: string }>;
    expect(keys).toEqual([expect.objectContaining({ id: created.id, key: created.key })]);
    expect(expectExit(await shared.run(['status', '--json']), 0, 'status on PostgreSQL').json().summary.ok).toBe(1);
  }, 60_000);

  it('an unreachable store exits 75 store-unreachable, a wrong password 4 store-auth; neither prints the password or a stack', async () => {
    const emulator = await EmulatorProcess.start();
    const down = new CliUser(emulator, { PROTIME_HOOKS_STORE: 'postgres://hooks:hunter2-secret@127.0.0.1:9/hooks' });
    const unreachable = expectExit(await down.run(['status', '--json']), 75, 'status, unreachable');
    expect(unreachable.json().error.code).toBe('store-unreachable');
    expect(unreachable.json().error.message).toMatch(/127\.0\.0\.1.*database hooks/);
    const wrong = new CliUser(emulator, { PROTIME_HOOKS_STORE: `postgres://hooks:wrong-pass-word@127.0.0.1:${cluster().port}/hooks` });
    const refused = expectExit(await wrong.run(['status', '--json']), 4, 'status, wrong password');
    expect(refused.json().error.code).toBe('store-auth');
    const human = expectExit(await wrong.run(['status']), 4, 'status, wrong password, for a person');
    expect(human.stderr).toContain(`127.0.0.1 port ${cluster().port}, database hooks`);
    for (const run of [unreachable, refused, human]) {
      expect(run.stdout + run.stderr).not.toMatch(/hunter2|wrong-pass-word/);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
    const bad = expectExit(await down.run(['--store', 'mysql://u:hunter2@h/db', 'status']), 2, 'a store that is not postgres');
    expect(bad.stderr).toContain('--store');
    expect(bad.stderr).not.toContain('hunter2');
  }, 60_000);
});
