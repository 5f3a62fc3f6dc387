/**
 * --all-profiles over three emulator processes (three tenants), one config dir: the documents'
 * shapes, the worst exit code, and a profile whose credentials were revoked reported in its entry
 * while the others are renewed.
 */
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { CliUser, EmulatorProcess, expectExit, removeTempDirs, stopAll } from './emulator-process.js';

afterEach(async () => {
  await stopAll();
  removeTempDirs();
});

const PROFILES = ['a', 'b', 'c'];

/** Three tenants, a profile each in one config dir, one subscription each. */
async function fleet() {
  const emulators = await Promise.all(PROFILES.map(() => EmulatorProcess.start()));
  const user = new CliUser(emulators[0]!);
  const ids: Record<string, string> = {};
  for (const [i, profile] of PROFILES.entries()) {
    const own = new CliUser(emulators[i]!);
    expectExit(await own.login(undefined, ['--profile', profile, '--config-dir', user.configDir]), 0, `login ${profile}`);
    const run = await user.run(['--profile', profile, 'subscribe', 'contracts', '--url', `http://127.0.0.1:9/${profile}`, '--json']);
    ids[profile] = expectExit(run, 0, `subscribe ${profile}`).json().id;
  }
  return { emulators, user, ids };
}

describe('--all-profiles', () => {
  it('status, renew, keys and metrics cover every profile; a revoked one is an error entry, the others go on; exit is the worst', {
    timeout: 90_000,
  }, async () => {
    const { emulators, user, ids } = await fleet();

    const healthy = expectExit(await user.run(['status', '--all-profiles', '--json']), 0, 'status healthy');
    const doc = healthy.json();
    expect(Object.keys(doc).sort()).toEqual(['checkedAt', 'profiles']);
    expect(doc.profiles.map((p: any) => [p.profile, p.subscriptions.map((s: any) => [s.id, s.state])])).toEqual(
      PROFILES.map((p) => [p, [[ids[p], 'ok']]]),
    );

    // c's API client is re-keyed and its tokens revoked: it can no longer log in.
    const c = emulators[2]!;
    expect((await c.control('POST', '/client-secret', { clientSecret: 'rotated' })).status).toBe(204);
    expect((await c.control('POST', '/tokens/revoke')).status).toBe(200);

    const status = await user.run(['status', '--all-profiles', '--json']);
    expect(status.code).toBe(4);
    const entries = status.json().profiles;
    expect(entries.map((p: any) => p.profile)).toEqual(PROFILES);
    expect(entries[2]).toEqual({ profile: 'c', error: expect.objectContaining({ code: 'credentials-rejected' }) });
    expect(status.stderr).toMatch(/Profile "c": .*rejected the credentials/);

    const renew = await user.run(['renew', '--all-profiles', '--renew-within', '40d', '--json']);
    expect(renew.code).toBe(4);
    const renewed = renew.json().profiles;
    for (const [i, profile] of ['a', 'b'].entries()) {
      expect(renewed[i]).toMatchObject({ profile, results: [{ action: 'renewed', oldId: ids[profile] }] });
      const server = await emulators[i]!.webhooks();
      expect(server.filter((w) => w.status === 'Enabled').map((w) => w.id)).toEqual([renewed[i].results[0].newId]);
    }
    expect(renewed[2]).toMatchObject({ profile: 'c', error: { code: 'credentials-rejected' } });
    expect((await c.webhooks()).map((w) => [w.id, w.status])).toEqual([[ids.c, 'Enabled']]);

    const keys = expectExit(await user.run(['keys', '--all-profiles', '--json']), 0, 'keys').json();
    expect(Object.keys(keys)).toEqual(['profiles']);
    expect(keys.profiles.map((p: any) => [p.profile, p.keys.filter((k: any) => k.current).length])).toEqual([
      ['a', 1],
      ['b', 1],
      ['c', 1],
    ]);

    const metrics = expectExit(await user.run(['metrics', '--all-profiles']), 0, 'metrics');
    const up = [...metrics.stdout.matchAll(/^protime_hooks_profile_up\{profile="(\w)",.*\} (\d)$/gm)].map((m) => [m[1], m[2]]);
    expect(up).toEqual([
      ['a', '1'],
      ['b', '1'],
      ['c', '0'],
    ]);
    // One HELP per metric for the whole fleet: a valid exposition, not three pasted together.
    expect(metrics.stdout.match(/^# HELP protime_hooks_profile_up /gm)).toHaveLength(1);
    if (spawnSync('promtool', ['--version']).status === 0) {
      expect(spawnSync('promtool', ['check', 'metrics'], { input: metrics.stdout }).status).toBe(0);
    }
    // renew noted its runs: a and b succeeded, c failed once.
    const failures = [...metrics.stdout.matchAll(/^protime_hooks_renew_consecutive_failures\{profile="(\w)",.*\} (\d)$/gm)].map((m) => [
      m[1],
      m[2],
    ]);
    expect(failures).toEqual([
      ['a', '0'],
      ['b', '0'],
      ['c', '1'],
    ]);
  });
});
