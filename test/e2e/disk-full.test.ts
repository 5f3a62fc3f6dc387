/**
 * A full disk between Protime's 201 and the durable write of the key: the run says exactly what
 * happened (key-not-stored, exit 1, the webhook named), the state file is intact, and once space is
 * back the next commands end with one keyed webhook per destination. On a real tmpfs of 256 KiB;
 * where this machine cannot mount one, the test says why and is skipped.
 */
import { readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BinaryProcess, CliUser, EmulatorProcess, expectExit, removeTempDirs, stopAll } from './emulator-process.js';
import { API_WEBHOOKS_PATH, byDestination, mountTmpfs, readStateFile, recordsOf, sleep, unmountAll } from './robustness-helpers.js';

const URL = 'http://127.0.0.1:9/disk-full';
afterEach(async () => {
  await stopAll();
  unmountAll();
  removeTempDirs();
});

describe('disk full after the 201', () => {
  it('reports key-not-stored, keeps the old webhook and the state file, and recovers to one keyed webhook once space is back', async (context) => {
    const mounted = mountTmpfs('256k');
    if (typeof mounted !== 'string') {
      console.log(`disk-full test skipped: ${mounted.skip}`);
      context.skip();
      return;
    }
    const emulator = await EmulatorProcess.start();
    const user = new CliUser(emulator);
    const env = { PROTIME_HOOKS_CONFIG_DIR: join(mounted, 'config') };
    expectExit(await user.login(undefined, ['--config-dir', env.PROTIME_HOOKS_CONFIG_DIR]), 0, 'login');
    const run = (args: string[]) => user.run(args, { env });
    const old = expectExit(await run(['subscribe', 'contracts', '--url', URL, '--json']), 0, 'subscribe').json();
    const stateFile = join(env.PROTIME_HOOKS_CONFIG_DIR, 'state.json');

    // The 201 is held back; while it is, the disk fills up.
    await emulator.addFault({ method: 'POST', path: API_WEBHOOKS_PATH, holdAnswerMs: 1500 });
    const renew = new BinaryProcess(['renew', old.id, '--json'], { ...user.env, ...env }, user.cwd);
    await sleep(700);
    const before = readFileSync(stateFile);
    const filler = join(mounted, 'filler');
    const { bavail, bsize } = statfsSync(mounted);
    writeFileSync(filler, Buffer.alloc(Number(bavail) * Number(bsize)));
    const exit = await renew.waitForExit(20_000);
    expect(exit.code).toBe(1);
    const item = JSON.parse(renew.stdout).results[0];
    expect(item).toMatchObject({ action: 'failed', oldId: old.id, errorCode: 'key-not-stored' });
    expect(item.error).toMatch(
      /^Webhook \S+ \(contracts → http:\/\/127\.0\.0\.1:9\/disk-full\) was created on Protime, but its key could not be stored: .*the disk is full \(ENOSPC\)/,
    );
    expect(renew.stderr).not.toMatch(/This is a bug|at \S+ \(/);
    // The state file is the one from before the renewal (its intent included), not a torn one.
    expect(readFileSync(stateFile).equals(before)).toBe(true);
    expect(Object.keys(recordsOf(readStateFile({ stateFile } as CliUser)))).toEqual([old.id]);

    rmSync(filler);
    expectExit(await run(['status', '--json']), 3, 'status after space is back (unknown-key)');
    expectExit(await run(['renew', '--json']), 0, 'renew after space is back');
    const serving = byDestination(await emulator.webhooks()).get(`contracts ${URL}`) ?? [];
    expect(serving).toHaveLength(1);
    const records = recordsOf(readStateFile({ stateFile } as CliUser));
    expect(records[serving[0]!.id]!.key).toBe(serving[0]!.key);
    console.log(`disk full: key-not-stored reported, state file intact, 1 keyed webhook (${serving[0]!.id}) after recovery`);
  });
});
