/**
 * Ten `renew` processes of the built binary started at once against the same due subscriptions,
 * for either store backend. Without --wait exactly one renews and the other nine exit 75
 * (run-locked); with --wait all ten exit 0, the first renews and the rest find nothing due. Either
 * way each subscription is replaced exactly once and every remaining webhook's key is held.
 * `describeOverlap` declares the cases (call it inside a describe; stopAll() and removeTempDirs()
 * in afterEach).
 */
import { expect, it } from 'vitest';
import { type BinaryProcess, type CliUser, EmulatorProcess, expectExit } from './emulator-process.js';
import { API_WEBHOOKS_PATH, byDestination, clearFaults, createRequests, enabledWebhooks, sleep } from './robustness-helpers.js';
import type { StoreBackend, TestStore } from './store-backends.js';

export const PROCESSES = 10;
const DESTINATIONS = ['http://127.0.0.1:9/overlap-a', 'http://127.0.0.1:9/overlap-b', 'http://127.0.0.1:9/overlap-c'];

export interface Due {
  emulator: EmulatorProcess;
  store: TestStore;
  /** The users (hosts) of the store; the first logged in and subscribed. */
  users: CliUser[];
  oldIds: string[];
}

/**
 * Three subscriptions with 2 days left: due under --renew-within 10d, while their replacements
 * (30 days of validity) are not, so a run that gets the lock after the renewal finds nothing due.
 * `hosts` users share the store (more than one: PostgreSQL only).
 */
export async function threeDue(backend: StoreBackend, hosts = 1): Promise<Due> {
  const emulator = await EmulatorProcess.start();
  const store = backend.fresh();
  const users = Array.from({ length: hosts }, () => store.user(emulator));
  const user = users[0]!;
  expectExit(await user.login(), 0, 'login');
  const oldIds: string[] = [];
  for (const url of DESTINATIONS) {
    const created = expectExit(await user.run(['subscribe', 'contracts', '--url', url, '--json']), 0, 'subscribe').json();
    oldIds.push(created.id);
    await emulator.setValidUntil(created.id, new Date(Date.now() + 2 * 86_400_000));
  }
  return { emulator, store, users, oldIds };
}

/** Starts PROCESSES runs of `args` at once, spread over `users` in turn; each must print one JSON document. */
export async function startTogether(
  users: CliUser[],
  args: string[],
): Promise<Array<{ proc: BinaryProcess; user: CliUser; code: number | null; doc: any }>> {
  const started = Array.from({ length: PROCESSES }, (_, i) => {
    const user = users[i % users.length]!;
    return { user, proc: user.spawn(args) };
  });
  const exits = await Promise.all(started.map(({ proc }) => proc.waitForExit(60_000)));
  return started.map(({ proc, user }, i) => {
    let doc: any;
    try {
      doc = JSON.parse(proc.stdout);
    } catch {
      throw new Error(
        `process ${i} did not print one JSON document (exit ${exits[i]!.code})\nstdout: ${proc.stdout}\nstderr: ${proc.stderr}`,
      );
    }
    return { proc, user, code: exits[i]!.code, doc };
  });
}

/** Each old webhook replaced exactly once: 3 POST /webhooks, 3 Enabled, one per destination, none of the old ones, every key held. */
export async function expectReplacedOnce({ emulator, store, oldIds }: Due): Promise<void> {
  expect(await createRequests(emulator)).toBe(DESTINATIONS.length);
  const hooks = await emulator.webhooks();
  const enabled = enabledWebhooks(hooks);
  expect(enabled).toHaveLength(DESTINATIONS.length);
  const groups = byDestination(hooks);
  expect([...groups.keys()].sort()).toEqual(DESTINATIONS.map((d) => `contracts ${d}`).sort());
  for (const group of groups.values()) expect(group).toHaveLength(1);
  for (const id of oldIds) expect(hooks.find((w) => w.id === id)?.status).toBe('Disabled');
  const { records, intents } = await store.view();
  for (const w of enabled) {
    expect(oldIds).not.toContain(w.id);
    expect(records[w.id]?.key, `key of ${w.id} held in the store`).toBe(w.key);
  }
  expect(intents).toEqual([]);
}

/** Resolves once the run lock is held; throws when `proc` exits first or it takes too long. */
async function waitForRunLock(store: TestStore, proc: BinaryProcess): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await store.runLockHeld())) {
    if (proc.hasExited || Date.now() > deadline)
      throw new Error(`the run lock was not taken\nstdout: ${proc.stdout}\nstderr: ${proc.stderr}`);
    await sleep(10);
  }
}

/**
 * Ten renews at once without --wait: exactly one exits 0, nine exit 75. Each create takes a second,
 * so the winner holds the lock while the nine others start up on this small machine and reach it:
 * they must meet a held lock, not a finished run.
 */
async function oneWinsNineLocked(due: Due, label: string) {
  await due.emulator.addFault({ method: 'POST', path: API_WEBHOOKS_PATH, latencyMs: 1_000, count: -1 });
  await due.emulator.clearRequests();
  const runs = await startTogether(due.users, ['renew', '--renew-within', '10d', '--json']);
  await clearFaults(due.emulator);
  const winners = runs.filter((r) => r.code === 0);
  const locked = runs.filter((r) => r.code === 75);
  console.log(
    `overlap (${label}): ${winners.length} renewed (exit 0), ${locked.length} exited 75, exit codes ${runs.map((r) => r.code).join(',')}`,
  );
  // On a failure, what each run said: which error, from which process.
  const said = runs.map((r, i) => `#${i} exit ${r.code}: ${r.doc.error ? `${r.doc.error.code}: ${r.doc.error.message}` : 'renewed'}`);
  expect(
    runs.map((r) => r.code).sort((a, b) => (a ?? -1) - (b ?? -1)),
    said.join('\n'),
  ).toEqual([0, ...Array(PROCESSES - 1).fill(75)]);
  return { winners, locked };
}

/** With --wait all runs exit 0: the first renews the three, the others (on any host) find nothing due; still 3 POST /webhooks. */
export async function expectWaitersRenewOnce(due: Due, label: string): Promise<void> {
  await due.emulator.addFault({ method: 'POST', path: API_WEBHOOKS_PATH, latencyMs: 300, count: -1 });
  await due.emulator.clearRequests();

  const runs = await startTogether(due.users, ['renew', '--renew-within', '10d', '--wait', '30s', '--json']);
  await clearFaults(due.emulator);

  const renewing = runs.filter((r) => r.doc.results?.length > 0);
  const idle = runs.filter((r) => Array.isArray(r.doc.results) && r.doc.results.length === 0);
  console.log(
    `overlap (${label}): ${renewing.length} renewed, ${idle.length} found nothing due, exit codes ${runs.map((r) => r.code).join(',')}`,
  );
  for (const r of runs) expect(r.code, `stdout: ${r.proc.stdout}\nstderr: ${r.proc.stderr}`).toBe(0);
  expect(renewing).toHaveLength(1);
  expect(idle).toHaveLength(PROCESSES - 1);
  expect(renewing[0]!.doc.results.map((r: any) => [r.action, r.oldId]).sort()).toEqual(due.oldIds.map((id) => ['renewed', id]).sort());
  for (const r of idle) expect(r.doc).toEqual({ profile: 'default', results: [] });

  await expectReplacedOnce(due);
}

/** The three cases, on stores of `backend()` (a function: a cluster may be started in beforeAll). */
export function describeOverlap(backend: () => StoreBackend): void {
  it('without --wait: exactly one renews (exit 0, 3 renewed), nine exit 75 with run-locked; 3 POST /webhooks in all', async () => {
    const due = await threeDue(backend());
    const { winners, locked } = await oneWinsNineLocked(due, `${backend().name} store, no --wait`);
    const winner = winners[0]!;
    expect(winner.doc.profile).toBe('default');
    expect(winner.doc.results).toHaveLength(3);
    for (const result of winner.doc.results)
      expect(result).toMatchObject({ action: 'renewed', newId: expect.any(String), key: expect.any(String), error: null });
    expect(winner.doc.results.map((r: any) => r.oldId).sort()).toEqual([...due.oldIds].sort());

    for (const loser of locked) {
      expect(loser.doc).toEqual({
        error: expect.objectContaining({
          code: 'run-locked',
          message: expect.stringContaining('Another protime-hooks run holds profile "default"'),
        }),
      });
      // The holder is named (unless it was caught between taking the lock and writing its owner file).
      const pid = /pid (\d+)/.exec(loser.doc.error.message)?.[1];
      if (pid !== undefined) expect(Number(pid)).toBe(winner.proc.child.pid);
    }

    await expectReplacedOnce(due);
    const { records } = await due.store.view();
    for (const result of winner.doc.results) expect(records[result.newId]?.key).toBe(result.key);
  });

  it('after the holder was SIGKILLed: of ten started at once exactly one takes the dead lock over and renews, nine exit 75; 3 POST /webhooks', async () => {
    const due = await threeDue(backend());
    const { emulator, store } = due;
    // The first holder hangs in its list call, holding the lock, and is killed there.
    await emulator.addFault({ method: 'GET', path: API_WEBHOOKS_PATH, latencyMs: 60_000, count: 1 });
    const holder = due.users[0]!.spawn(['renew', '--renew-within', '10d', '--json']);
    await waitForRunLock(store, holder);
    holder.child.kill('SIGKILL');
    expect((await holder.waitForExit()).signal).toBe('SIGKILL');
    // A lock file stays behind for the next run to break; PostgreSQL frees the session's lock itself.
    expect(await store.runLockLeft()).toBe(backend().name === 'file');
    await clearFaults(emulator);

    const { winners, locked } = await oneWinsNineLocked(due, `${backend().name} store, after a killed holder`);
    for (const loser of locked) expect(loser.doc.error.code).toBe('run-locked');
    expect(winners[0]!.doc.results.map((r: any) => r.action)).toEqual(['renewed', 'renewed', 'renewed']);
    await expectReplacedOnce(due);
  });

  it('with --wait 30s: all ten exit 0, the first renews the three and the other nine find nothing due (results []); still 3 POST /webhooks', async () => {
    await expectWaitersRenewOnce(await threeDue(backend()), `${backend().name} store, --wait 30s`);
  });
}
