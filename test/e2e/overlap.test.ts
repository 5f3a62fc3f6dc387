/**
 * End-to-end: ten `renew` processes of the built binary started at once against the same due
 * subscriptions. Without --wait exactly one renews and the other nine exit 75 (run-locked); with
 * --wait all ten exit 0, the first renews and the rest find nothing due. Either way each
 * subscription is replaced exactly once and every remaining webhook's key is held.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type BinaryProcess, CliUser, EmulatorProcess, expectExit, removeTempDirs, stopAll } from './emulator-process.js';
import {
  API_WEBHOOKS_PATH,
  byDestination,
  clearFaults,
  createRequests,
  enabledWebhooks,
  readStateFile,
  recordsOf,
  sleep,
} from './robustness-helpers.js';

afterEach(async () => {
  await stopAll();
  removeTempDirs();
});

const PROCESSES = 10;
const DESTINATIONS = ['http://127.0.0.1:9/overlap-a', 'http://127.0.0.1:9/overlap-b', 'http://127.0.0.1:9/overlap-c'];

/**
 * Three subscriptions with 2 days left: due under --renew-within 10d, while their replacements
 * (30 days of validity) are not, so a run that gets the lock after the renewal finds nothing due.
 */
async function threeDue(): Promise<{ emulator: EmulatorProcess; user: CliUser; oldIds: string[] }> {
  const emulator = await EmulatorProcess.start();
  const user = new CliUser(emulator);
  expectExit(await user.login(), 0, 'login');
  const oldIds: string[] = [];
  for (const url of DESTINATIONS) {
    const created = expectExit(await user.run(['subscribe', 'contracts', '--url', url, '--json']), 0, 'subscribe').json();
    oldIds.push(created.id);
    await emulator.setValidUntil(created.id, new Date(Date.now() + 2 * 86_400_000));
  }
  return { emulator, user, oldIds };
}

async function waitForFile(file: string, proc: BinaryProcess): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!existsSync(file)) {
    if (proc.hasExited || Date.now() > deadline) throw new Error(`${file} did not appear\nstdout: ${proc.stdout}\nstderr: ${proc.stderr}`);
    await sleep(10);
  }
}

async function startTogether(user: CliUser, args: string[]): Promise<Array<{ proc: BinaryProcess; code: number | null; doc: any }>> {
  const procs = Array.from({ length: PROCESSES }, () => user.spawn(args));
  const exits = await Promise.all(procs.map((p) => p.waitForExit(60_000)));
  return procs.map((proc, i) => {
    let doc: any;
    try {
      doc = JSON.parse(proc.stdout);
    } catch {
      throw new Error(
        `process ${i} did not print one JSON document (exit ${exits[i]!.code})\nstdout: ${proc.stdout}\nstderr: ${proc.stderr}`,
      );
    }
    return { proc, code: exits[i]!.code, doc };
  });
}

/** Each old webhook replaced exactly once: 3 Enabled, one per destination, none of the old ones, every key held. */
async function expectReplacedOnce(emulator: EmulatorProcess, user: CliUser, oldIds: string[]): Promise<void> {
  expect(await createRequests(emulator)).toBe(DESTINATIONS.length);
  const hooks = await emulator.webhooks();
  const enabled = enabledWebhooks(hooks);
  expect(enabled).toHaveLength(DESTINATIONS.length);
  const groups = byDestination(hooks);
  expect([...groups.keys()].sort()).toEqual(DESTINATIONS.map((d) => `contracts ${d}`).sort());
  for (const group of groups.values()) expect(group).toHaveLength(1);
  for (const id of oldIds) expect(hooks.find((w) => w.id === id)?.status).toBe('Disabled');
  const records = recordsOf(readStateFile(user));
  for (const w of enabled) {
    expect(oldIds).not.toContain(w.id);
    expect(records[w.id]?.key, `key of ${w.id} held in state.json`).toBe(w.key);
  }
  expect(readStateFile(user).intents?.default ?? []).toEqual([]);
}

describe('ten renew processes at once on one profile', { timeout: 120_000 }, () => {
  it('without --wait: exactly one renews (exit 0, 3 renewed), nine exit 75 with run-locked; 3 POST /webhooks in all', async () => {
    const { emulator, user, oldIds } = await threeDue();
    // Each create takes a second, so the winner holds the lock while the nine others start up on
    // this small machine and reach it: they must meet a held lock, not a finished run.
    await emulator.addFault({ method: 'POST', path: API_WEBHOOKS_PATH, latencyMs: 1_000, count: -1 });
    await emulator.clearRequests();

    const runs = await startTogether(user, ['renew', '--renew-within', '10d', '--json']);
    await clearFaults(emulator);

    const winners = runs.filter((r) => r.code === 0);
    const locked = runs.filter((r) => r.code === 75);
    console.log(
      `overlap (no --wait): ${winners.length} renewed (exit 0), ${locked.length} exited 75, others: ${
        runs
          .filter((r) => r.code !== 0 && r.code !== 75)
          .map((r) => r.code)
          .join(',') || 'none'
      }`,
    );
    expect(runs.map((r) => r.code).sort((a, b) => (a ?? -1) - (b ?? -1))).toEqual([0, ...Array(PROCESSES - 1).fill(75)]);

    const winner = winners[0]!;
    expect(winner.doc.profile).toBe('default');
    expect(winner.doc.results).toHaveLength(3);
    for (const result of winner.doc.results)
      expect(result).toMatchObject({ action: 'renewed', newId: expect.any(String), key: expect.any(String), error: null });
    expect(winner.doc.results.map((r: any) => r.oldId).sort()).toEqual([...oldIds].sort());

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

    await expectReplacedOnce(emulator, user, oldIds);
    const records = recordsOf(readStateFile(user));
    for (const result of winner.doc.results) expect(records[result.newId]?.key).toBe(result.key);
  });

  it('after the holder was SIGKILLed: of ten started at once exactly one takes the dead lock over and renews, nine exit 75; 3 POST /webhooks', async () => {
    const { emulator, user, oldIds } = await threeDue();
    // The first holder hangs in its list call, holding the lock, and is killed there.
    await emulator.addFault({ method: 'GET', path: API_WEBHOOKS_PATH, latencyMs: 60_000, count: 1 });
    const holder = user.spawn(['renew', '--renew-within', '10d', '--json']);
    await waitForFile(join(user.configDir, 'run-default.owner'), holder);
    holder.child.kill('SIGKILL');
    expect((await holder.waitForExit()).signal).toBe('SIGKILL');
    expect(existsSync(join(user.configDir, 'run-default.lock'))).toBe(true);
    await clearFaults(emulator);
    await emulator.addFault({ method: 'POST', path: API_WEBHOOKS_PATH, latencyMs: 1_000, count: -1 });
    await emulator.clearRequests();

    const runs = await startTogether(user, ['renew', '--renew-within', '10d', '--json']);
    await clearFaults(emulator);
    const winners = runs.filter((r) => r.code === 0);
    const locked = runs.filter((r) => r.code === 75);
    console.log(
      `overlap after a killed holder: ${winners.length} renewed (exit 0), ${locked.length} exited 75, exit codes ${runs.map((r) => r.code).join(',')}`,
    );
    expect(runs.map((r) => r.code).sort((a, b) => (a ?? -1) - (b ?? -1))).toEqual([0, ...Array(PROCESSES - 1).fill(75)]);
    for (const loser of locked) expect(loser.doc.error.code).toBe('run-locked');
    expect(winners[0]!.doc.results.map((r: any) => r.action)).toEqual(['renewed', 'renewed', 'renewed']);
    await expectReplacedOnce(emulator, user, oldIds);
  });

  it('with --wait 30s: all ten exit 0, the first renews the three and the other nine find nothing due (results []); still 3 POST /webhooks', async () => {
    const { emulator, user, oldIds } = await threeDue();
    await emulator.addFault({ method: 'POST', path: API_WEBHOOKS_PATH, latencyMs: 300, count: -1 });
    await emulator.clearRequests();

    const runs = await startTogether(user, ['renew', '--renew-within', '10d', '--wait', '30s', '--json']);
    await clearFaults(emulator);

    const renewing = runs.filter((r) => r.doc.results?.length > 0);
    const idle = runs.filter((r) => Array.isArray(r.doc.results) && r.doc.results.length === 0);
    console.log(
      `overlap (--wait 30s): ${renewing.length} renewed, ${idle.length} found nothing due, exit codes ${runs.map((r) => r.code).join(',')}`,
    );
    for (const r of runs) expect(r.code, `stdout: ${r.proc.stdout}\nstderr: ${r.proc.stderr}`).toBe(0);
    expect(renewing).toHaveLength(1);
    expect(idle).toHaveLength(PROCESSES - 1);
    expect(renewing[0]!.doc.results.map((r: any) => [r.action, r.oldId]).sort()).toEqual(oldIds.map((id) => ['renewed', id]).sort());
    for (const r of idle) expect(r.doc).toEqual({ profile: 'default', results: [] });

    await expectReplacedOnce(emulator, user, oldIds);
  });
});
