/**
 * The kill test, for either store backend: `renew` and `subscribe` of the built binary are
 * SIGKILLed at random moments while the emulator holds the answer to POST /webhooks (the webhook
 * exists before its creator hears of it). After every kill the store must still read, status must
 * account for every Enabled webhook (key held, or reported as unknown-key), and one `renew` must
 * leave exactly one Enabled webhook per destination whose key is held. Kills are classified by
 * where they landed relative to the 201: before (nothing created), during (created, key not
 * stored), after (created and stored).
 *
 * KILL_SEED replays a run (as far as timing allows); KILL_ITERATIONS changes the count; KILL_VERBOSE=1
 * prints every iteration.
 */
import { expect } from 'vitest';
import { seededRandom } from '../helpers/random.js';
import { type CliUser, EmulatorProcess, type EmulatorWebhook, expectExit } from './emulator-process.js';
import { API_WEBHOOKS_PATH, byDestination, clearFaults, enabledWebhooks, sleep } from './robustness-helpers.js';
import type { StoreBackend, TestStore } from './store-backends.js';

/** Iterations per emulator and store; each batch starts from three fresh subscriptions. */
const PER_BATCH = 5;
/**
 * How far past the run's last 201 the 'answered' kills may land: a renew's replacements run side
 * by side, so once the last answer is in, its keys are stored and its deletes sent within tens of ms.
 */
const AFTER_MS = { renew: 30, subscribe: 20 };

function argsFor(mode: 'renew' | 'subscribe', newDestination: string): string[] {
  return mode === 'renew'
    ? ['renew', '--renew-within', '40d', '--concurrency', '8', '--json']
    : ['subscribe', 'contracts', '--url', newDestination, '--json'];
}
type Landing = 'before' | 'during' | 'after' | 'finished';

export interface KillFigures {
  iterations: number;
  renewRuns: number;
  subscribeRuns: number;
  before: number;
  during: number;
  after: number;
  /** Exited by itself before its kill time came. */
  finished: number;
  /** Enabled webhooks status listed as replaced, key held (their delete still owed to the next renew). */
  replacedPendingDelete: number;
  /** Keyless webhooks that status reported as unknown-key. */
  unknownKeyReported: number;
  keysLost: number;
  duplicates: number;
  slowestFollowUpMs: number;
  /** Kills that left the store's write lock behind (the next writer waits for it to go stale). */
  storeLockLeft: number;
}

/** Resolves once the store holds the key of each of the `count` webhooks created since `beforeIds`. */
async function keysStored(emulator: EmulatorProcess, store: TestStore, beforeIds: Set<string>, count: number, gone: () => boolean) {
  const deadline = Date.now() + 10_000;
  while (!gone() && Date.now() < deadline) {
    const created = (await emulator.webhooks()).filter((w) => !beforeIds.has(w.id));
    if (created.length >= count) {
      const { records } = await store.view();
      if (created.every((w) => records[w.id]?.key === w.key)) return;
    }
    await sleep(2);
  }
}

/**
 * Resolves once the emulator has sent `count` 201s to POST /webhooks (its request log says so). A
 * renew replaces its subscriptions concurrently, and the held answer is then the last to go out:
 * "after the 201" means after all of them.
 */
async function answersSent(emulator: EmulatorProcess, count: number, gone: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!gone() && Date.now() < deadline) {
    const log = await emulator.requests();
    if (log.filter((r) => r.method === 'POST' && r.path === API_WEBHOOKS_PATH && r.status === 201).length >= count) return;
    await sleep(5);
  }
}

/**
 * Runs `iterations` random kills on stores of `backend` (a fresh store and emulator per batch of
 * five) and asserts: no problem found, 0 keys lost, 0 duplicates, and (from 30 iterations) kills
 * landed before, during and after the 201. Call stopAll() and removeTempDirs() in afterEach.
 */
export async function killTest(backend: StoreBackend, iterations: number, seed: number): Promise<KillFigures> {
  const random = seededRandom(seed);
  /** How long one unkilled run takes here (measured first: start-up is a large part of it). */
  const unkilledMs = { renew: 1_500, subscribe: 800 };
  /** When the first POST /webhooks is handled after the spawn (measured too). */
  const firstCreateMs = { renew: 450, subscribe: 450 };
  const figures: KillFigures = {
    iterations: 0,
    renewRuns: 0,
    subscribeRuns: 0,
    before: 0,
    during: 0,
    after: 0,
    finished: 0,
    replacedPendingDelete: 0,
    unknownKeyReported: 0,
    keysLost: 0,
    duplicates: 0,
    slowestFollowUpMs: 0,
    storeLockLeft: 0,
  };
  const problems: string[] = [];
  const started = Date.now();

  for (let batch = 0; figures.iterations < iterations; batch++) {
    const emulator = await EmulatorProcess.start();
    const store = backend.fresh();
    const user: CliUser = store.user(emulator);
    expectExit(await user.login(), 0, 'login');
    const subscribed = await Promise.all(
      [0, 1, 2].map((n) =>
        user.run(['subscribe', 'contracts', '--url', `http://127.0.0.1:9/b${batch}-base-${n}`, '--wait', '30s', '--json']),
      ),
    );
    for (const [n, run] of subscribed.entries()) expectExit(run, 0, `subscribe ${n}`);
    if (batch === 0) {
      // How long each command takes when nothing kills it (with a held answer), on this machine now.
      for (const mode of ['renew', 'subscribe'] as const) {
        await emulator.addFault({ method: 'POST', path: API_WEBHOOKS_PATH, holdAnswerMs: 225, count: -1 });
        await emulator.clearRequests();
        const t0 = Date.now();
        expectExit(await user.run(argsFor(mode, `http://127.0.0.1:9/b0-calibration`)), 0, `${mode} (calibration)`);
        const total = Date.now() - t0;
        // The log entry is written when the (held) answer has gone out: the create was handled 225 ms earlier.
        const firstAnswer = (await emulator.requests()).find((r) => r.method === 'POST' && r.path === API_WEBHOOKS_PATH);
        const firstCreate = firstAnswer ? Date.parse(firstAnswer.at) - t0 - 225 : total / 2;
        unkilledMs[mode] = total;
        firstCreateMs[mode] = Math.max(0, Math.min(firstCreate, unkilledMs[mode]));
        await clearFaults(emulator);
      }
    }
    let lastWebhooks: EmulatorWebhook[] = await emulator.webhooks();

    for (let n = 0; n < PER_BATCH && figures.iterations < iterations; n++) {
      const i = figures.iterations++;
      const where = `iteration ${i} (batch ${batch}, seed ${seed})`;
      const mode = random() < 0.5 ? 'renew' : 'subscribe';
      const holdAnswerMs = Math.round(150 + random() * 150);
      const latencyMs = random() < 0.3 ? Math.round(random() * 150) : 0;
      // Renew holds every answer, or (half the time) only the first, so that after that 201 the
      // other creates go quickly and a kill more often lands after an answer than inside one.
      const holdCount = mode === 'renew' && random() < 0.5 ? 1 : -1;
      // Four aims, a quarter each. Where a kill really landed is read afterwards from the server
      // and the store; the aims only keep the three outcomes all frequent.
      //  - start: a random moment up to when the first create is usually handled (mostly start-up);
      //  - held: a random moment within the held answer, by the measured timings;
      //  - answered: as soon as the emulator has sent every 201 of the run, plus a random
      //    0..AFTER_MS (storing the keys, deleting the old webhooks, printing, exiting);
      //  - stored: as soon as the store holds every key created (deleting, printing, exiting).
      const aim = (['start', 'held', 'answered', 'stored'] as const)[Math.floor(random() * 4)]!;
      const created0 = firstCreateMs[mode];
      const killAfterMs = Math.round(
        aim === 'start'
          ? random() * created0
          : aim === 'held'
            ? created0 + random() * (latencyMs + holdAnswerMs)
            : aim === 'answered'
              ? random() * AFTER_MS[mode]
              : 0,
      );
      const before = await emulator.webhooks();
      const beforeIds = new Set(before.map((w) => w.id));
      const servedBefore = [...byDestination(before).keys()];
      await emulator.addFault({
        method: 'POST',
        path: API_WEBHOOKS_PATH,
        holdAnswerMs,
        ...(latencyMs ? { latencyMs } : {}),
        count: holdCount,
      });

      const args = argsFor(mode, `http://127.0.0.1:9/b${batch}-new-${i}`);
      mode === 'renew' ? figures.renewRuns++ : figures.subscribeRuns++;
      await emulator.clearRequests();
      const victim = user.spawn(args);
      // renew --renew-within 40d replaces every destination served; subscribe creates one.
      const creates = mode === 'renew' ? servedBefore.length : 1;
      if (aim === 'answered') await Promise.race([answersSent(emulator, creates, () => victim.hasExited), victim.exited]);
      if (aim === 'stored') await Promise.race([keysStored(emulator, store, beforeIds, creates, () => victim.hasExited), victim.exited]);
      await Promise.race([sleep(killAfterMs), victim.exited]);
      if (!victim.hasExited) victim.child.kill('SIGKILL');
      const exit = await victim.exited;
      // A create still inside its injected latency may yet be handled: let that pass, then look.
      await sleep(latencyMs + 30);
      await clearFaults(emulator);

      // Where did the kill land? Compared with the server and with the store as the kill left it.
      const afterKill = await emulator.webhooks();
      const created = afterKill.filter((w) => !beforeIds.has(w.id));
      let recordsAtKill: Awaited<ReturnType<TestStore['view']>>['records'];
      try {
        recordsAtKill = (await store.view()).records;
      } catch (error) {
        problems.push(`${where}: the store does not read after the kill: ${(error as Error).message}`);
        continue;
      }
      let landing: Landing;
      if (exit.signal !== 'SIGKILL') landing = 'finished';
      else if (created.length === 0) landing = 'before';
      else if (created.some((w) => recordsAtKill[w.id]?.key !== w.key)) landing = 'during';
      else landing = 'after';
      figures[landing]++;
      const lockLeft = store.writeLockLeft();
      if (lockLeft) figures.storeLockLeft++;
      if (process.env.KILL_VERBOSE) {
        console.log(
          `${where}: ${mode} hold ${holdAnswerMs}×${holdCount} latency ${latencyMs} kill ${aim} +${killAfterMs} ms → ${landing} (${created.length} created; write lock left: ${lockLeft ? 'yes' : 'no'})`,
        );
      }
      if (landing === 'finished' && exit.code !== 0)
        problems.push(`${where}: ${mode} exited ${exit.code} without being killed\n${victim.stderr}`);

      // (a)+(b): status loads the state and accounts for every Enabled webhook.
      const followUp = Date.now();
      const status = await user.run(['status', '--json']);
      let statusDoc: any;
      try {
        statusDoc = JSON.parse(status.stdout);
      } catch {
        problems.push(`${where}: status printed no JSON document (exit ${status.code})\n${status.stdout}\n${status.stderr}`);
      }
      if (status.code !== 0 && status.code !== 3) {
        problems.push(`${where} [${mode}, ${landing}]: status exited ${status.code}: ${statusDoc?.error?.code ?? ''} ${status.stderr}`);
      }
      const listed = new Map<string, any>((statusDoc?.subscriptions ?? []).map((s: any) => [s.id, s]));
      const recordsAfterStatus = (await store.view()).records;
      for (const w of enabledWebhooks(await emulator.webhooks())) {
        const shown = listed.get(w.id);
        if (shown?.hasKey === true) {
          if (recordsAfterStatus[w.id]?.key !== w.key)
            problems.push(`${where}: status says the key of ${w.id} is held, but the store holds another`);
          if (shown.state === 'replaced') figures.replacedPendingDelete++;
        } else if (shown?.state === 'unknown-key') {
          figures.unknownKeyReported++;
        } else {
          problems.push(
            `${where} [${mode}, ${landing}]: Enabled webhook ${w.id} (${w.destinationUrl}) is ${shown ? `listed as ${shown.state} without its key` : 'not listed by status'}`,
          );
        }
      }

      // (c): one renew, with no window given, settles everything.
      const renew = await user.run(['renew', '--wait', '10s', '--json']);
      figures.slowestFollowUpMs = Math.max(figures.slowestFollowUpMs, Date.now() - followUp);
      if (process.env.KILL_VERBOSE) console.log(`  status ${status.code} + renew ${renew.code} in ${Date.now() - followUp} ms`);
      if (renew.code !== 0)
        problems.push(`${where} [${mode}, ${landing}]: renew after the kill exited ${renew.code}\n${renew.stdout}\n${renew.stderr}`);
      const final = await store.view();
      const finalHooks = await emulator.webhooks();
      const groups = byDestination(finalHooks);
      for (const [group, hooks] of groups) {
        if (hooks.length > 1) {
          figures.duplicates++;
          problems.push(
            `${where} [${mode}, ${landing}]: ${hooks.length} Enabled webhooks for ${group}: ${hooks.map((h) => h.id).join(', ')}`,
          );
        }
      }
      for (const w of enabledWebhooks(finalHooks)) {
        if (final.records[w.id]?.key !== w.key) {
          figures.keysLost++;
          problems.push(
            `${where} [${mode}, ${landing}]: Enabled webhook ${w.id} (${w.destinationUrl}) has ${final.records[w.id]?.key ? 'a different key' : 'no key'} in the store after renew`,
          );
        }
      }
      for (const group of servedBefore) {
        if (!groups.has(group))
          problems.push(`${where} [${mode}, ${landing}]: ${group} had an Enabled webhook before the kill and has none after renew`);
      }
      if (final.intents.length > 0) problems.push(`${where}: intents still open after renew`);
      lastWebhooks = finalHooks;
    }

    // The batch ends healthy: status exits 0, everything ok with its key.
    const final = await user.run(['status', '--json']);
    if (final.code !== 0) problems.push(`batch ${batch}: final status exited ${final.code}\n${final.stdout}\n${final.stderr}`);
    else {
      const doc = final.json();
      const bad = doc.subscriptions.filter((s: any) => s.state !== 'ok' || !s.hasKey);
      if (bad.length > 0) problems.push(`batch ${batch}: final status not all ok: ${JSON.stringify(bad)}`);
      if (doc.subscriptions.length !== enabledWebhooks(lastWebhooks).length)
        problems.push(
          `batch ${batch}: status lists ${doc.subscriptions.length}, the server has ${enabledWebhooks(lastWebhooks).length} Enabled`,
        );
    }
    await store.close();
    await emulator.stop();
  }

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `kill test, ${backend.name} store (seed ${seed}; unkilled renew ${unkilledMs.renew} ms with its first create at ${firstCreateMs.renew} ms, ` +
      `subscribe ${unkilledMs.subscribe} ms / ${firstCreateMs.subscribe} ms; ${seconds} s): ${figures.iterations} iterations ` +
      `(${figures.renewRuns} renew, ${figures.subscribeRuns} subscribe); kills before the 201: ${figures.before}, during: ${figures.during}, ` +
      `after: ${figures.after}; finished before the kill: ${figures.finished}; unknown-key reported by status: ${figures.unknownKeyReported}; ` +
      `replaced webhooks awaiting delete (listed as replaced, key held): ${figures.replacedPendingDelete}; keys lost: ${figures.keysLost}; duplicates: ${figures.duplicates}; ` +
      `slowest status+renew after a kill: ${figures.slowestFollowUpMs} ms; kills leaving the store's write lock behind: ${figures.storeLockLeft}`,
  );
  expect(problems).toEqual([]);
  expect(figures.keysLost).toBe(0);
  expect(figures.duplicates).toBe(0);
  expect(figures.iterations).toBeGreaterThanOrEqual(iterations);
  // The random kills did cover all three moments (a short KILL_ITERATIONS run need not).
  if (iterations >= 30) {
    expect(figures.before).toBeGreaterThan(0);
    expect(figures.during).toBeGreaterThan(0);
    expect(figures.after).toBeGreaterThan(0);
  }
  return figures;
}

/** Iterations and seed from KILL_ITERATIONS and KILL_SEED, else `defaultIterations` and a random seed. */
export function killSettings(defaultIterations: number): { iterations: number; seed: number } {
  return {
    iterations: Number(process.env.KILL_ITERATIONS ?? defaultIterations),
    seed: Number(process.env.KILL_SEED ?? Math.floor(Math.random() * 2 ** 31)),
  };
}
