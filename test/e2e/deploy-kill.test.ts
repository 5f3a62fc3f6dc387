/**
 * A renew SIGKILLed while its deploy hook runs (after the new key was stored, before the hook
 * finished): no key lost, no duplicate webhook, and the next renew finishes the hand-over and the
 * delete. While the hook runs, the key is in no process's argv or environment.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BinaryProcess, CliUser, EmulatorProcess, expectExit, makeTempDir, removeTempDirs, stopAll } from './emulator-process.js';
import { byDestination, readStateFile, recordsOf, sleep } from './robustness-helpers.js';

const ITERATIONS = 5;
const URL = 'http://127.0.0.1:9/deploy-kill';

afterEach(async () => {
  await stopAll();
  removeTempDirs();
});

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  for (let waited = 0; !check(); waited += 25) {
    if (waited > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe('SIGKILL of renew while its deploy hook runs', () => {
  it(`loses no key, leaves no duplicate, and the next renew completes the deploy and the delete (${ITERATIONS} kills)`, async () => {
    const emulator = await EmulatorProcess.start();
    const user = new CliUser(emulator);
    const marks = makeTempDir('ph-marks-');
    expectExit(await user.login(), 0, 'login');
    let id: string = expectExit(await user.run(['subscribe', 'contracts', '--url', URL, '--json']), 0, 'subscribe').json().id;
    let leaks = 0;

    for (let n = 0; n < ITERATIONS; n++) {
      const started = join(marks, `started-${n}`);
      // The hook says it started (with its pid), then takes its time; renew is killed meanwhile.
      const hook = `echo $$ > ${started}; cat > /dev/null; sleep 5`;
      const renew = new BinaryProcess(['renew', id, '--json', '--deploy-hook', hook], user.env, user.cwd);
      await until(() => existsSync(started) && readFileSync(started, 'utf8').endsWith('\n'), 10_000, 'the hook to start');

      // The new key is stored and not yet deployed: it must be in no argv and no environment.
      const state = readStateFile(user);
      const pending = Object.values(recordsOf(state)).find((r) => r.replacedBy === undefined && r.id !== id && !r.deletedAt);
      expect(pending?.key).toBeTruthy();
      const key = pending!.key!;
      const argv = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
      const hookPid = readFileSync(started, 'utf8').trim();
      const environ = readFileSync(`/proc/${hookPid}/environ`, 'utf8');
      if (argv.includes(key) || environ.includes(key)) leaks++;

      renew.child.kill('SIGKILL');
      await renew.exited;
      // The old webhook is still alive, the new one pending: both keys are held.
      expect(recordsOf(readStateFile(user))[pending!.id]).toMatchObject({ deployPending: { event: 'renewed', previousId: id } });

      const next = expectExit(await user.run(['renew', '--json', '--deploy-hook', 'cat > /dev/null']), 0, `renew after kill ${n + 1}`);
      expect(next.json().results).toMatchObject([{ action: 'deployed', oldId: id, newId: pending!.id, deployed: true }]);
      const records = recordsOf(readStateFile(user));
      expect(records[id]!.deletedAt).toBeTruthy();
      expect(records[pending!.id]!.key).toBe(key);
      const serving = byDestination(await emulator.webhooks()).get(`contracts ${URL}`) ?? [];
      expect(serving.map((w) => w.id)).toEqual([pending!.id]);
      expect(serving[0]!.key).toBe(key);
      id = pending!.id;
    }
    console.log(`deploy kill: ${ITERATIONS} kills during the hook, 0 keys lost, 0 duplicates, ${leaks} key leaks into argv or environment`);
    expect(leaks).toBe(0);
    const status = expectExit(await user.run(['status', '--json']), 0, 'status');
    expect(status.json().subscriptions.map((s: { state: string }) => s.state)).toEqual(['ok']);
  });
});
