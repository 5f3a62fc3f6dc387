/**
 * The PostgreSQL store going away under the built binary, on a real cluster (no mock): restarted
 * between two commands and under a running `listen`; stopped while a renew commits its intent (no
 * POST may be sent); stopped while Protime holds the 201 of a renew's create (the webhook exists,
 * its key cannot be stored). Each run says so with exit 75 and no stack or password, and once the
 * database is back the next renew ends with one Enabled webhook per destination, its key held.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { postgresSkip } from '../helpers/postgres.js';
import { type BinaryProcess, EmulatorProcess, expectExit, freePort, removeTempDirs, stopAll } from './emulator-process.js';
import { API_WEBHOOKS_PATH, byDestination, createRequests, enabledWebhooks, sleep } from './robustness-helpers.js';
import type { BinaryRun } from './run-binary.js';
import { type PostgresTestStore, sharedPostgresBackend } from './store-backends.js';

const { cluster, backend } = sharedPostgresBackend('faults');
afterEach(async () => {
  await stopAll();
  removeTempDirs();
});

const URL = 'http://127.0.0.1:9/pg-faults';

/** A logged-in user of a fresh database with one subscription. */
async function subscribed(url = URL) {
  const emulator = await EmulatorProcess.start();
  const store = backend().fresh();
  const user = store.user(emulator);
  expectExit(await user.login(), 0, 'login');
  const old = expectExit(await user.run(['subscribe', 'contracts', '--url', url, '--json']), 0, 'subscribe').json();
  return { emulator, store, user, old };
}

/** Polls `check` every 10 ms until it holds; throws when `proc` exits first or 15 s pass. */
async function until(check: () => Promise<boolean>, proc: BinaryProcess, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    if (proc.hasExited || Date.now() > deadline) throw new Error(`${what} did not happen\nstdout: ${proc.stdout}\nstderr: ${proc.stderr}`);
    await sleep(10);
  }
}

/** Neither stream shows the database password or a stack trace. */
function expectNoSecretNoStack(run: Pick<BinaryRun, 'stdout' | 'stderr'>): void {
  expect(run.stdout + run.stderr).not.toContain(cluster().password);
  expect(run.stderr).not.toMatch(/\n\s+at |This is a bug/);
}

/** The end every fault must come to: one Enabled webhook per destination, its key in the database, no open intent. */
async function expectSettled(emulator: EmulatorProcess, store: PostgresTestStore, destinations: string[]): Promise<void> {
  const hooks = await emulator.webhooks();
  const groups = byDestination(hooks);
  expect([...groups.keys()].sort()).toEqual(destinations.map((d) => `contracts ${d}`).sort());
  for (const group of groups.values()) expect(group).toHaveLength(1);
  const { records, intents } = await store.view();
  for (const w of enabledWebhooks(hooks)) expect(records[w.id]?.key, `key of ${w.id} held in the database`).toBe(w.key);
  expect(intents).toEqual([]);
}

describe.skipIf(postgresSkip)('the PostgreSQL store going away', { timeout: 60_000 }, () => {
  it('restarted between two commands: the second works (status exit 0, renew exit 0 with the new key stored)', async () => {
    const { emulator, store, user, old } = await subscribed();
    cluster().restart();
    const status = expectExit(await user.run(['status', '--json']), 0, 'status after the restart').json();
    expect(status.summary.ok).toBe(1);
    const renewed = expectExit(await user.run(['renew', old.id, '--json']), 0, 'renew after the restart').json().results[0];
    expect(renewed).toMatchObject({ action: 'renewed', oldId: old.id });
    expect((await store.view()).records[renewed.newId]?.key).toBe(renewed.key);
    await expectSettled(emulator, store, [URL]);
  });

  it('restarted under a running listen: deliveries before and after the restart both verify against the keys in the database', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/`;
    const { emulator, user } = await subscribed(url);
    const listen = user.spawn(['listen', '--port', String(port), '--count', '2']);
    await listen.waitFor('stderr', /Listening on http:\/\/127\.0\.0\.1:\d+\//);
    const trigger = () => user.run(['emulator', 'trigger', 'contracts', '--emulator-url', emulator.url]);
    expectExit(await trigger(), 0, 'trigger before the restart');
    await listen.waitFor('stdout', /\n/);
    cluster().restart();
    expectExit(await trigger(), 0, 'trigger after the restart');
    expect(await listen.waitForExit(15_000)).toEqual({ code: 0, signal: null });
    const lines = listen.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((l) => l.verified)).toEqual([true, true]);
    expect(listen.stderr).toContain('2 verified, 0 rejected');
    expectNoSecretNoStack(listen);
  });

  it('stopped while a renew commits its intent: no POST /webhooks is sent, exit 75 store-unreachable; back up, renew replaces the webhook', async () => {
    const { emulator, store, user, old } = await subscribed();
    // The intent's insert sleeps inside its transaction (a trigger), so the database can be stopped
    // exactly while the intent is being committed: before the POST, if the order is right.
    cluster().superuser(
      `create function protime_hooks.slow_intent() returns trigger language plpgsql as $$ begin perform pg_sleep(30); return new; end $$;
       create trigger slow_intent before insert on protime_hooks.intents for each row execute function protime_hooks.slow_intent();`,
      store.database,
    );
    await emulator.clearRequests();
    const renew = user.spawn(['renew', old.id, '--json']);
    const sleeping = async () =>
      (await store.rows(`select 1 from pg_stat_activity where datname = $1 and wait_event = 'PgSleep'`, [store.database])).length > 0;
    await until(sleeping, renew, 'the intent commit');
    expect(await createRequests(emulator)).toBe(0);
    cluster().halt();
    const exit = await renew.waitForExit(20_000);
    cluster().resume();

    expect(exit.code, renew.stderr).toBe(75);
    // A renew opens every replacement's intent in one write before its first POST: that write
    // failing ends the run before any replacement starts.
    const { error } = JSON.parse(renew.stdout);
    expect(error.code).toBe('store-unreachable');
    expect(error.message).toContain(
      `Cannot reach the PostgreSQL store (host 127.0.0.1 port ${cluster().port}, database ${store.database})`,
    );
    expectNoSecretNoStack(renew);
    // Nothing was created: no POST, the old webhook alone serves, and the intent was rolled back with its transaction.
    expect(await createRequests(emulator)).toBe(0);
    expect(enabledWebhooks(await emulator.webhooks()).map((w) => w.id)).toEqual([old.id]);
    expect((await store.view()).intents).toEqual([]);

    cluster().superuser('drop trigger slow_intent on protime_hooks.intents', store.database);
    const renewed = expectExit(await user.run(['renew', old.id, '--json']), 0, 'renew once the database is back').json().results[0];
    expect(renewed).toMatchObject({ action: 'renewed', oldId: old.id });
    await expectSettled(emulator, store, [URL]);
  });

  it('stopped while Protime holds the 201 of a renew: exit 75 key-not-stored naming the webhook; back up, the next renew settles it to one keyed webhook', async () => {
    const { emulator, store, user, old } = await subscribed();
    await emulator.addFault({ method: 'POST', path: API_WEBHOOKS_PATH, holdAnswerMs: 3_000, count: 1 });
    const renew = user.spawn(['renew', old.id, '--json']);
    // The webhook exists on Protime, its answer (with the key) not yet sent: now the database goes.
    const created = async () => (await emulator.webhooks()).some((w) => w.id !== old.id);
    await until(created, renew, 'the create');
    // Its intent was committed before the POST went out.
    expect((await store.view()).intents).toHaveLength(1);
    cluster().halt();
    const exit = await renew.waitForExit(20_000);
    cluster().resume();

    const fresh = (await emulator.webhooks()).find((w) => w.id !== old.id)!;
    expect(exit.code, renew.stderr).toBe(75);
    const item = JSON.parse(renew.stdout).results[0];
    expect(item).toMatchObject({ action: 'failed', oldId: old.id, key: null, errorCode: 'key-not-stored' });
    expect(item.error).toContain(
      `Webhook ${fresh.id} (contracts → ${URL}) was created on Protime, but its key could not be stored: ` +
        `Cannot reach the PostgreSQL store (host 127.0.0.1 port ${cluster().port}, database ${store.database})`,
    );
    expect(renew.stderr).toContain(`Renewing ${old.id} failed: Webhook ${fresh.id}`);
    expectNoSecretNoStack(renew);

    // Not lost silently: the old webhook still serves with its key, the new one is on record as an open intent.
    const before = await store.view();
    expect(before.records[old.id]?.key).toBe(old.key);
    expect(before.records[fresh.id]).toBeUndefined();
    expect(before.intents).toEqual([expect.objectContaining({ kind: 'renew', replaces: old.id, destinationUrl: URL })]);
    const status = expectExit(await user.run(['status', '--json']), 3, 'status once the database is back').json();
    expect(status.subscriptions.find((s: any) => s.id === fresh.id)).toMatchObject({ state: 'unknown-key', hasKey: false });

    // Status settled the intent: the webhook is on record now, adopted without its key.
    const settled = await store.view();
    expect(settled.intents).toEqual([]);
    expect(settled.records[fresh.id]).toMatchObject({ key: null, adopted: true });

    // The next renew retires the keyless webhook (its destination is served by the keyed one).
    const next = expectExit(await user.run(['renew', '--json']), 0, 'renew once the database is back');
    expect(next.stderr).toContain(`Retired webhook ${fresh.id} (left without a key by an interrupted run)`);
    await expectSettled(emulator, store, [URL]);
    const serving = byDestination(await emulator.webhooks()).get(`contracts ${URL}`)!;
    expect(serving.map((w) => w.id)).toEqual([old.id]);
    expect((await emulator.webhooks()).find((w) => w.id === fresh.id)?.status ?? 'deleted').not.toBe('Enabled');
  });
});

describe.skipIf(postgresSkip)('the run lock lost with its PostgreSQL session', { timeout: 60_000 }, () => {
  it('a restart under a renew ends its lock: no further create is sent, exit 75 run-lock-lost; the next renew finishes, one keyed webhook per destination', async () => {
    const urls = Array.from({ length: 4 }, (_, i) => `${URL}/lock-${i}`);
    const { emulator, store, user, old } = await subscribed(urls[0]);
    const ids = [old.id];
    for (const url of urls.slice(1))
      ids.push(expectExit(await user.run(['subscribe', 'contracts', '--url', url, '--json']), 0, 'subscribe').json().id);
    await emulator.clearRequests();
    // The first create's answer is held while the database restarts: the lock's session ends under it.
    await emulator.addFault({ method: 'POST', path: API_WEBHOOKS_PATH, holdAnswerMs: 3_000, count: 1 });
    const renew = user.spawn(['renew', ...ids, '--concurrency', '1', '--json']);
    // Made on Protime, its answer not sent yet: the restart happens before the run hears back.
    await until(async () => (await emulator.webhooks()).length > ids.length, renew, 'the first create');
    cluster().restart();
    const exit = await renew.waitForExit(30_000);

    expect(exit.code, renew.stderr).toBe(75);
    expect(JSON.parse(renew.stdout).error).toMatchObject({ code: 'run-lock-lost' });
    expect(JSON.parse(renew.stdout).error.message).toContain(`Profile "default"'s run lock was lost`);
    expectNoSecretNoStack(renew);
    // Only the create already sent: none after the lock was gone.
    expect(await createRequests(emulator)).toBe(1);

    // The first was replaced before the lock went (its key stored); the other three are renewed now.
    const next = expectExit(await user.run(['renew', ...ids.slice(1), '--json']), 0, 'renew the rest').json();
    expect(next.results.map((r: any) => [r.action, r.oldId])).toEqual(ids.slice(1).map((id) => ['renewed', id]));
    await expectSettled(emulator, store, urls);
  });
});
