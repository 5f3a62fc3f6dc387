/**
 * Two profiles on one tenant (one API client, as teams share them): each sees the other's webhooks
 * as foreign, never counts them in its exit code, and never touches them without --adopt/--force.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CliUser, EmulatorProcess, expectExit, removeTempDirs, stopAll } from './emulator-process.js';

afterEach(async () => {
  await stopAll();
  removeTempDirs();
});

describe('ownership on a shared tenant', () => {
  it("a profile lists the other's webhook as foreign, exits 0, refuses to renew or unsubscribe it, and adopts it only when told", async () => {
    const emulator = await EmulatorProcess.start();
    const user = new CliUser(emulator);
    const as = (profile: string, args: string[]) => user.run(['--profile', profile, ...args]);
    expectExit(await user.login(undefined, ['--profile', 'alpha']), 0, 'login alpha');
    expectExit(await user.login(undefined, ['--profile', 'beta']), 0, 'login beta');
    const a = expectExit(
      await as('alpha', ['subscribe', 'contracts', '--url', 'http://127.0.0.1:9/alpha', '--json']),
      0,
      'subscribe alpha',
    ).json();
    const b = expectExit(
      await as('beta', ['subscribe', 'contracts', '--url', 'http://127.0.0.1:9/beta', '--json']),
      0,
      'subscribe beta',
    ).json();

    const status = expectExit(await as('alpha', ['status', '--json']), 0, 'status alpha');
    const states = Object.fromEntries(status.json().subscriptions.map((s: { id: string; state: string }) => [s.id, s.state]));
    expect(states).toEqual({ [a.id]: 'ok', [b.id]: 'foreign' });
    expect(status.json().summary).toMatchObject({ ok: 1, foreign: 1, unknownKey: 0 });
    const table = expectExit(await as('alpha', ['status']), 0, 'status table');
    expect(table.stdout).not.toContain(b.id);
    expect(expectExit(await as('alpha', ['status', '--all']), 0, 'status --all').stdout).toContain(b.id);

    const renew = await as('alpha', ['renew', b.id, '--json']);
    expect(renew.code).toBe(2);
    expect(renew.json().error.code).toBe('not-owned');
    const unsubscribe = await as('alpha', ['unsubscribe', b.id, '--yes', '--json']);
    expect(unsubscribe.code).toBe(2);
    expect(unsubscribe.json().error.code).toBe('not-owned');
    // beta's webhook is untouched, and beta is still healthy.
    expect((await emulator.webhooks()).find((w) => w.id === b.id)?.status).toBe('Enabled');
    expect(expectExit(await as('beta', ['status', '--json']), 0, 'status beta').json().summary).toMatchObject({ ok: 1, foreign: 1 });

    // Repointing a profile that holds subscriptions is refused.
    const repoint = await user.login(undefined, ['--profile', 'alpha', '--api-url', 'http://127.0.0.1:9/other-api', '--json']);
    expect(repoint.code).toBe(2);
    expect(repoint.json().error.code).toBe('profile-in-use');

    // --adopt takes it over: a new webhook whose key alpha holds, and the old one deleted.
    const adopted = expectExit(await as('alpha', ['renew', b.id, '--adopt', '--json']), 0, 'renew --adopt').json();
    expect(adopted.results).toMatchObject([{ action: 'renewed', oldId: b.id }]);
    const after = await emulator.webhooks();
    expect(after.find((w) => w.id === b.id)?.status).not.toBe('Enabled');
    expect(after.find((w) => w.id === adopted.results[0].newId)?.key).toBe(adopted.results[0].key);
  });
});
