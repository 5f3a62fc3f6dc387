/**
 * Secrets at rest, as a user meets them: the built binary against the emulator with
 * PROTIME_HOOKS_STORE_KEY set, the state file read as bytes, and the state moved to another
 * config dir with `store export --include-secrets | store import`.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { secretForms as forms } from '../helpers/secrets.js';
import { CliUser, EmulatorProcess, expectExit, removeTempDirs, stopAll } from './emulator-process.js';

afterEach(async () => {
  await stopAll();
  removeTempDirs();
});

const URL = 'http://127.0.0.1:9/store-key';

/** A user whose every command runs with the store key set. */
const keyedUser = (emulator: EmulatorProcess, storeKey: string) => new CliUser(emulator, { PROTIME_HOOKS_STORE_KEY: storeKey });

describe('PROTIME_HOOKS_STORE_KEY', () => {
  it('keeps every secret out of the state file while login, subscribe, renew, status and keys work as ever', async () => {
    const emulator = await EmulatorProcess.start();
    const user = keyedUser(emulator, randomBytes(32).toString('base64'));
    expectExit(await user.login(), 0, 'login');
    const created = expectExit(await user.run(['subscribe', 'contracts', '--url', URL, '--json']), 0, 'subscribe').json();
    const renewed = expectExit(await user.run(['renew', created.id, '--json']), 0, 'renew').json().results[0];
    expect(renewed).toMatchObject({ action: 'renewed', oldId: created.id });
    expect(expectExit(await user.run(['status', '--json']), 0, 'status').json().summary.ok).toBe(1);
    const keys = expectExit(await user.run(['keys', '--json']), 0, 'keys').json() as Array<{ id: string; key: string; current: boolean }>;
    expect(keys.find((k) => k.current)).toMatchObject({ id: renewed.newId, key: renewed.key });
    // The emulator holds the same keys: they were stored and read back intact.
    const onServer = Object.fromEntries((await emulator.webhooks()).map((w) => [w.id, w.key]));
    expect(onServer[renewed.newId]).toBe(renewed.key);

    const exported = expectExit(await user.run(['store', 'export', '--include-secrets']), 0, 'export').json();
    const token: string = exported.profiles.default.token.accessToken;
    const secrets = [emulator.info.clientSecret, token, created.key, renewed.key];
    expect(new Set(secrets).size).toBe(4);
    const bytes = readFileSync(user.stateFile).toString('latin1');
    for (const secret of secrets) for (const form of forms(secret)) expect(bytes).not.toContain(form);
    expect(exported.subscriptions.default[created.id].key).toBe(created.key);
    // Without --include-secrets the export holds none of them either.
    const plain = expectExit(await user.run(['store', 'export']), 0, 'export without secrets').stdout;
    expect(plain).toContain(created.id);
    for (const secret of secrets) for (const form of forms(secret)) expect(plain).not.toContain(form);

    // Without the key, or with another: exit 4, the variable named, the file untouched.
    const before = readFileSync(user.stateFile);
    for (const [storeKey, code] of [
      ['', 'store-key-missing'],
      [randomBytes(32).toString('base64'), 'store-key-wrong'],
    ]) {
      for (const argv of [['status'], ['keys'], ['renew', renewed.newId], ['subscribe', 'people', '--url', URL]]) {
        const run = await user.run([...argv, '--json'], { env: { PROTIME_HOOKS_STORE_KEY: storeKey! } });
        expectExit(run, 4, `${argv.join(' ')} with ${code}`);
        expect(run.json().error.code).toBe(code);
        expect(run.json().error.message).toContain('PROTIME_HOOKS_STORE_KEY');
        expect(run.stderr).not.toMatch(/\n\s+at \S/);
      }
      expect(readFileSync(user.stateFile).equals(before)).toBe(true);
    }
    // Nothing was created on the server by the refused runs.
    expect((await emulator.webhooks()).filter((w) => w.collectionName === 'people')).toEqual([]);
  });

  it('moves the state to a fresh config dir with export --include-secrets | import: status and keys identical', async () => {
    const emulator = await EmulatorProcess.start();
    const key = randomBytes(32).toString('base64');
    const user = keyedUser(emulator, key);
    expectExit(await user.login(), 0, 'login');
    const first = expectExit(await user.run(['subscribe', 'contracts', '--url', URL, '--json']), 0, 'subscribe').json();
    expectExit(await user.run(['subscribe', 'people', '--url', URL]), 0, 'subscribe');
    expectExit(await user.run(['renew', first.id]), 0, 'renew');

    const moved = keyedUser(emulator, key);
    const exported = expectExit(await user.run(['store', 'export', '--include-secrets']), 0, 'export').stdout;
    const imported = expectExit(await moved.run(['store', 'import', '--json'], { stdin: exported }), 0, 'import').json();
    expect(imported.skipped).toEqual([]);
    expect(imported.imported.filter((r: { kind: string }) => r.kind === 'subscription')).toHaveLength(3);

    const view = async (who: CliUser, argv: string[]) => expectExit(await who.run([...argv, '--json']), 0, argv.join(' ')).json();
    expect(await view(moved, ['keys'])).toEqual(await view(user, ['keys']));
    const status = async (who: CliUser) => {
      const { checkedAt: _, subscriptions, ...rest } = await view(who, ['status']);
      return { ...rest, subscriptions: subscriptions.map(({ secondsLeft: _s, ...s }: Record<string, unknown>) => s) };
    };
    expect(await status(moved)).toEqual(await status(user));
    // The moved profile is logged in: it renews on its own.
    const current = (await view(moved, ['keys'])).find(
      (k: { current: boolean; collection: string }) => k.current && k.collection === 'contracts',
    );
    const renew = expectExit(await moved.run(['renew', current.id, '--json']), 0, 'renew moved');
    expect(renew.json().results[0].action).toBe('renewed');
  });
});
