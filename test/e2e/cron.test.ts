/**
 * End-to-end: `protime-hooks renew --quiet`, run the way cron runs it
 * (`env -i` with only HOME, PATH and PROTIME_HOOKS_CONFIG_DIR, stdin closed, no TTY) against an
 * emulator process: silent when nothing is due, renews by the default window when due, and exits 4
 * with a message on stderr once the credentials are revoked. (The README's own crontab, under the
 * real cron daemon, is cron-daemon.test.ts.)
 */
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { CliUser, EmulatorProcess, expectExit, removeTempDirs, stopAll } from './emulator-process.js';
import { createRequests, killCronChildren, readStateFile, recordsOf, runLikeCron } from './robustness-helpers.js';

afterEach(async () => {
  await killCronChildren();
  await stopAll();
  removeTempDirs();
});

const DAY = 86_400_000;

function cron(user: CliUser, args: string[] = ['renew', '--quiet']) {
  return runLikeCron(args, { home: user.cwd, configDir: user.configDir, cwd: user.cwd });
}

/**
 * Makes a subscription due under the DEFAULT rule (no --renew-within): due when less than
 * min(7d, lifetime/3) is left, lifetime = validUntil − createdAt. createdAt 60 days ago in
 * state.json and validUntil 2 days ahead on the server give a window of 7 days: due.
 */
async function makeDueByDefaultRule(user: CliUser, id: string): Promise<void> {
  const mode = statSync(user.stateFile).mode & 0o777;
  const state = readStateFile(user);
  state.subscriptions.default[id].createdAt = new Date(Date.now() - 60 * DAY).toISOString();
  writeFileSync(user.stateFile, `${JSON.stringify(state, null, '\t')}\n`);
  chmodSync(user.stateFile, mode);
  await user.emulator.setValidUntil(id, new Date(Date.now() + 2 * DAY));
}

async function subscribed(): Promise<{ emulator: EmulatorProcess; user: CliUser; id: string; key: string }> {
  const emulator = await EmulatorProcess.start();
  const user = new CliUser(emulator);
  expectExit(await user.login(), 0, 'login');
  const created = expectExit(
    await user.run(['subscribe', 'contracts', '--url', 'http://127.0.0.1:9/cron-hook', '--json']),
    0,
    'subscribe',
  ).json();
  return { emulator, user, id: created.id, key: created.key };
}

describe('renew --quiet under cron (env -i, no TTY, stdin closed)', { timeout: 60_000 }, () => {
  it('nothing due: exit 0 with empty stdout and empty stderr, and nothing created', async () => {
    const { emulator, user, id } = await subscribed();
    await emulator.clearRequests();

    const run = await cron(user);
    expect(run, JSON.stringify(run)).toMatchObject({ code: 0, signal: null, stdout: '', stderr: '' });
    expect(await createRequests(emulator)).toBe(0);
    // The cron environment did reach the profile (it listed the server), it just had nothing to do.
    expect((await emulator.requests()).some((r) => r.method === 'GET')).toBe(true);
    const hooks = await emulator.webhooks();
    expect(hooks.map((w) => [w.id, w.status])).toEqual([[id, 'Enabled']]);
  });

  it('due by the default window: renews, exits 0, nothing on stderr; the new key is stored (file still 0600) and the old webhook is deleted', async () => {
    const { emulator, user, id, key } = await subscribed();
    // Not due by the default rule with validUntil 2 days ahead alone: the lifetime shrinks with it.
    await emulator.setValidUntil(id, new Date(Date.now() + 2 * DAY));
    const notYet = await cron(user);
    expect(notYet, JSON.stringify(notYet)).toMatchObject({ code: 0, stdout: '', stderr: '' });

    await makeDueByDefaultRule(user, id);
    expect(statSync(user.stateFile).mode & 0o777).toBe(0o600);
    await emulator.clearRequests();

    const run = await cron(user);
    expect(run.code, `stdout: ${run.stdout}\nstderr: ${run.stderr}`).toBe(0);
    expect(run.stderr).toBe('');
    expect(await createRequests(emulator)).toBe(1);

    const hooks = await emulator.webhooks();
    const enabled = hooks.filter((w) => w.status === 'Enabled');
    expect(enabled).toHaveLength(1);
    const fresh = enabled[0]!;
    expect(fresh.id).not.toBe(id);
    expect(fresh).toMatchObject({ collectionName: 'contracts', destinationUrl: 'http://127.0.0.1:9/cron-hook' });
    expect(hooks.find((w) => w.id === id)?.status).toBe('Disabled');
    // stdout carries the data (the result), never the key of another webhook.
    expect(run.stdout).toContain(fresh.id);

    const records = recordsOf(readStateFile(user));
    expect(records[fresh.id]?.key).toBe(fresh.key);
    expect(records[id]).toMatchObject({ key, replacedBy: fresh.id });
    expect(records[id]?.deletedAt).toBeTruthy();
    expect(statSync(user.stateFile).mode & 0o777).toBe(0o600);

    // And the next cron run is silent again.
    const again = await cron(user);
    expect(again, JSON.stringify(again)).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  it('credentials revoked: exit 4 with an error on stderr, nothing on stdout, nothing created, the key kept', async () => {
    const { emulator, user, id, key } = await subscribed();
    expect((await emulator.control('POST', '/client-secret', { clientSecret: 'rotated-elsewhere' })).status).toBe(204);
    expect((await emulator.control('POST', '/tokens/revoke')).status).toBe(200);
    await makeDueByDefaultRule(user, id);
    await emulator.clearRequests();

    const run = await cron(user);
    expect(run.code, `stdout: ${run.stdout}\nstderr: ${run.stderr}`).toBe(4);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^\[error\] /m);
    expect(run.stderr).toMatch(/credential|secret|log ?in|unauthori[sz]ed|rejected/i);
    expect(run.stderr).not.toContain(emulator.info.clientSecret);
    expect(await createRequests(emulator)).toBe(0);
    expect(recordsOf(readStateFile(user))[id]?.key).toBe(key);
    expect(readFileSync(user.stateFile, 'utf8')).not.toContain('rotated-elsewhere');
  });
});
