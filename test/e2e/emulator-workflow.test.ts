/**
 * End-to-end: the built binary against an emulator process. Login, subscribe, status transitions,
 * logout, and the one-JSON-document rule for failures.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { CliUser, EmulatorProcess, expectExit, freePort, removeTempDirs, stopAll } from './emulator-process.js';

const WEBHOOK_SCOPES = ['connector-protimeapi-webhooks.read', 'connector-protimeapi-webhooks.write'];
const API_LIST_PATH = '/connector/protimeapi/api/v1/webhooks';

afterEach(async () => {
  await stopAll();
  removeTempDirs();
});

function readState(user: CliUser): any {
  return JSON.parse(readFileSync(user.stateFile, 'utf8'));
}

function field(stdout: string, name: string): string {
  const match = new RegExp(`^${name}\\s{2,}(.+)$`, 'm').exec(stdout);
  if (!match) throw new Error(`no "${name}" line in:\n${stdout}`);
  return match[1]!;
}

describe('binary against the emulator: accounts and subscriptions', { timeout: 30_000 }, () => {
  it('login: good credentials exit 0 with the JSON fields; a bad secret exits 4 (credentials-rejected) and stores nothing; the emulator exits 0 on SIGTERM', async () => {
    const emulator = await EmulatorProcess.start();
    const { info } = emulator;
    expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.apiUrl).toBe(`${info.url}/connector/protimeapi/api/v1`);

    const user = new CliUser(emulator);
    const stranger = new CliUser(emulator);
    const [goodRun, bad, badJson] = await Promise.all([
      user.login(undefined, ['--json']),
      stranger.login('not-the-secret'),
      stranger.login('not-the-secret', ['--json']),
    ]);
    const good = expectExit(goodRun, 0, 'login');
    const doc = good.json();
    expect(doc).toEqual({
      profile: 'default',
      tenant: info.tenant,
      environment: 'production',
      apiUrl: info.apiUrl,
      tokenUrl: info.tokenUrl,
      clientId: info.clientId,
      scopes: expect.arrayContaining(WEBHOOK_SCOPES),
      tokenExpiresAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
      keysFile: null,
      caFile: null,
      tokenAuth: 'post',
    });
    expect(Date.parse(doc.tokenExpiresAt)).toBeGreaterThan(Date.now());
    expect(good.stderr).toContain('Logged in');
    expect(good.stderr).not.toContain(info.clientSecret);
    expect(readState(user).profiles.default.clientSecret).toBe(info.clientSecret);

    expect(bad.code).toBe(4);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/rejected the credentials/);
    expect(bad.stderr).not.toContain('not-the-secret');
    expect(badJson.code).toBe(4);
    expect(badJson.json().error).toMatchObject({ code: 'credentials-rejected', status: 401 });

    const [human, profiles] = await Promise.all([user.login(), stranger.run(['profiles', '--json'])]);
    // Human output: fields on stdout, the confirmation on stderr.
    expectExit(human, 0, 'login (human)');
    expect(field(human.stdout, 'tenant')).toBe(info.tenant);
    expect(field(human.stdout, 'api url')).toBe(info.apiUrl);
    expect(existsSync(stranger.stateFile)).toBe(false);
    expect(expectExit(profiles, 0, 'profiles').json()).toEqual([]);

    const exit = await emulator.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(emulator.process.stderr).toContain('SIGTERM: shutting down.');
  });

  it('subscribe prints the key and validUntil, stores the key (0600 file, 0700 dir) and is idempotent', async () => {
    const emulator = await EmulatorProcess.start();
    const user = new CliUser(emulator);
    expectExit(await user.login(), 0, 'login');
    const hook = `http://127.0.0.1:${await freePort()}/hook`;

    const first = expectExit(await user.run(['subscribe', 'contracts', '--url', hook]), 0, 'subscribe');
    const id = field(first.stdout, 'id');
    const key = field(first.stdout, 'key');
    const validUntil = field(first.stdout, 'valid until').split(' ')[0]!;
    expect(field(first.stdout, 'collection')).toBe('contracts');
    expect(field(first.stdout, 'destination')).toBe(hook);
    expect(key.length).toBeGreaterThanOrEqual(20);
    expect(Number.isNaN(Date.parse(validUntil))).toBe(false);
    expect(first.stderr).toContain('shows this key only once');

    const onServer = await emulator.webhooks();
    expect(onServer).toHaveLength(1);
    expect(onServer[0]).toMatchObject({ id, key, destinationUrl: hook, collectionName: 'contracts', status: 'Enabled' });
    expect(Date.parse(onServer[0]!.validUntil)).toBe(Date.parse(validUntil));

    const record = readState(user).subscriptions.default[id];
    expect(record).toMatchObject({ id, key, collection: 'contracts', destinationUrl: hook });
    expect(statSync(user.stateFile).mode & 0o777).toBe(0o600);
    expect(statSync(user.configDir).mode & 0o777).toBe(0o700);

    const second = expectExit(await user.run(['subscribe', 'contracts', '--url', hook, '--json']), 0, 'subscribe again');
    const doc = second.json();
    expect(doc).toMatchObject({
      created: false,
      id,
      collection: 'contracts',
      destinationUrl: hook,
      key,
      status: 'Enabled',
      externalReferences: [],
    });
    expect(Date.parse(doc.validUntil)).toBe(Date.parse(validUntil));
    expect(Date.parse(doc.renewAfter)).toBeLessThan(Date.parse(validUntil));
    expect(second.stderr).toContain('already exists');
    expect(await emulator.webhooks()).toHaveLength(1);
    const creates = (await emulator.requests()).filter((r) => r.method === 'POST' && r.path === API_LIST_PATH);
    expect(creates).toHaveLength(1);
  });

  it('status: ok (exit 0), renew-due once validUntil is close (exit 3), disabled/expired once it passed (exit 5)', async () => {
    const emulator = await EmulatorProcess.start();
    const user = new CliUser(emulator);
    expectExit(await user.login(), 0, 'login');
    const created = expectExit(
      await user.run(['subscribe', 'contracts', '--url', 'http://127.0.0.1:9/hook', '--json']),
      0,
      'subscribe',
    ).json();

    const ok = expectExit(await user.run(['status', '--json']), 0, 'status (ok)');
    const okDoc = ok.json();
    expect(okDoc).toMatchObject({
      profile: 'default',
      tenant: emulator.info.tenant,
      summary: { ok: 1, renewDue: 0, expired: 0, disabled: 0, missing: 0, unknownKey: 0 },
    });
    expect(okDoc.subscriptions).toEqual([
      expect.objectContaining({ id: created.id, collection: 'contracts', state: 'ok', hasKey: true, status: 'Enabled' }),
    ]);
    expect(JSON.stringify(okDoc)).not.toContain(created.key);

    // One day left. The default window is a third of validUntil − createdAt, and moving validUntil
    // shortens that lifetime too, so the window is given explicitly.
    await emulator.setValidUntil(created.id, new Date(Date.now() + 86_400_000));
    const due = await user.run(['status', '--json', '--renew-within', '2d']);
    expect(due.code).toBe(3);
    const dueDoc = due.json();
    expect(dueDoc.subscriptions[0]).toMatchObject({ id: created.id, state: 'renew-due' });
    expect(dueDoc.subscriptions[0].secondsLeft).toBeGreaterThan(86_000);
    expect(dueDoc.subscriptions[0].secondsLeft).toBeLessThanOrEqual(86_400);
    expect(dueDoc.summary.renewDue).toBe(1);
    expect(due.stderr).toContain('renew');

    await emulator.setValidUntil(created.id, new Date(Date.now() - 60_000));
    expect((await emulator.webhooks())[0]!.status).toBe('Disabled');
    const [dead, deadHuman] = await Promise.all([user.run(['status', '--json']), user.run(['status'])]);
    expect(dead.code).toBe(5);
    const deadDoc = dead.json();
    expect(['disabled', 'expired']).toContain(deadDoc.subscriptions[0].state);
    expect(deadDoc.subscriptions[0].secondsLeft).toBeLessThan(0);
    expect(dead.stderr).toContain('re-sync');
    // Same exit code without --json; the table says why.
    expect(deadHuman.code).toBe(5);
    expect(deadHuman.stdout).toMatch(new RegExp(`^${created.id}\\s+contracts\\s+\\S+\\s+(disabled|expired)\\s`, 'm'));
  });

  it('logout exits 0; status then exits 4 (not logged in) while status --offline still lists the subscription with its key held', async () => {
    const emulator = await EmulatorProcess.start();
    const user = new CliUser(emulator);
    expectExit(await user.login(), 0, 'login');
    const created = expectExit(
      await user.run(['subscribe', 'contracts', '--url', 'http://127.0.0.1:9/hook', '--json']),
      0,
      'subscribe',
    ).json();

    const out = expectExit(await user.run(['logout', '--json']), 0, 'logout');
    expect(out.json()).toMatchObject({ profile: 'default', loggedOut: true });
    const state = readState(user);
    expect(state.profiles.default.clientSecret).toBeUndefined();
    expect(state.profiles.default.token).toBeUndefined();
    expect(state.subscriptions.default[created.id].key).toBe(created.key);

    await emulator.clearRequests();
    const [human, json, offline] = await Promise.all([
      user.run(['status']),
      user.run(['status', '--json']),
      user.run(['status', '--offline', '--json']),
    ]);
    expect(human.code).toBe(4);
    expect(human.stdout).toBe('');
    expect(human.stderr).toMatch(/not logged in/i);
    expect(json.code).toBe(4);
    expect(json.json().error.code).toBe('not-logged-in');
    // No token was asked for with credentials that are gone.
    expect(await emulator.requests()).toEqual([]);

    const doc = expectExit(offline, 0, 'status --offline').json();
    expect(doc.offline).toBe(true);
    expect(doc.subscriptions).toEqual([expect.objectContaining({ id: created.id, collection: 'contracts', hasKey: true, state: 'ok' })]);
  });

  it('under --json every failure prints exactly one JSON error document on stdout, with the same exit code as without --json', async () => {
    const emulator = await EmulatorProcess.start();
    const loggedIn = new CliUser(emulator);
    expectExit(await loggedIn.login(), 0, 'login');
    const stranger = new CliUser(emulator);
    const closed = `http://127.0.0.1:${await freePort()}`;

    const cases: Array<{ name: string; user: CliUser; args: string[]; stdin?: string; code: number; error: string; status?: number }> = [
      {
        name: 'bad-secret login',
        user: stranger,
        args: emulator.loginArgs(),
        stdin: 'wrong\n',
        code: 4,
        error: 'credentials-rejected',
        status: 401,
      },
      { name: 'status without a profile', user: stranger, args: ['status'], code: 4, error: 'not-logged-in' },
      {
        name: 'unknown collection',
        user: loggedIn,
        args: ['subscribe', 'contracs', '--url', 'http://127.0.0.1:9/x'],
        code: 2,
        error: 'unknown-collection',
      },
      { name: 'unknown flag', user: loggedIn, args: ['status', '--bogus'], code: 2, error: 'usage' },
      {
        name: 'trigger without an emulator',
        user: loggedIn,
        args: ['emulator', 'trigger', 'contracts', '--emulator-url', closed],
        code: 75,
        error: 'emulator-unreachable',
      },
      { name: 'status while the API answers 503', user: loggedIn, args: ['status'], code: 75, error: 'server-error', status: 503 },
    ];
    await emulator.addFault({ method: 'GET', path: API_LIST_PATH, status: 503, retryAfter: 0, count: -1 });

    const runs = await Promise.all(
      cases.map((c) => Promise.all([c.user.run([...c.args, '--json'], { stdin: c.stdin }), c.user.run(c.args, { stdin: c.stdin })])),
    );
    for (const [i, c] of cases.entries()) {
      const [json, human] = runs[i]!;
      expect(json.code, `${c.name} --json exit code; stderr: ${json.stderr}`).toBe(c.code);
      expect(json.stdout.endsWith('}\n'), `${c.name}: one document then a newline`).toBe(true);
      let doc: any;
      expect(() => (doc = JSON.parse(json.stdout)), `${c.name}: stdout is one JSON document:\n${json.stdout}`).not.toThrow();
      expect(Object.keys(doc)).toEqual(['error']);
      expect(doc.error).toMatchObject({ code: c.error, message: expect.any(String), status: c.status ?? null });
      expect(doc.error).toHaveProperty('hint');

      expect(human.code, `${c.name} without --json`).toBe(c.code);
      expect(human.stdout, `${c.name}: no data on stdout`).toBe('');
      expect(human.stderr).toContain(doc.error.message.split('\n')[0].slice(0, 40));
    }
    expect(existsSync(stranger.stateFile)).toBe(false);
  });
});
