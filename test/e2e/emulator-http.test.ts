/**
 * End-to-end: the built binary against an emulator process, HTTP behaviour seen from the server's
 * request log: paging, Retry-After, retries on 5xx, and token refresh between runs.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { CliUser, EmulatorProcess, expectExit, type LoggedRequest, removeTempDirs, stopAll } from './emulator-process.js';

const LIST_PATH = '/connector/protimeapi/api/v1/webhooks';

afterEach(async () => {
  await stopAll();
  removeTempDirs();
});

const listCalls = (log: LoggedRequest[]) => log.filter((r) => r.method === 'GET' && r.path === LIST_PATH);

/** The request log as `METHOD path status`, token path shortened, for order assertions. */
const summary = (log: LoggedRequest[]) =>
  log.map((r) => `${r.method} ${r.path.endsWith('/connect/token') ? 'token' : r.path === LIST_PATH ? 'webhooks' : r.path} ${r.status}`);

async function loggedInWithOne(emulatorArgs: string[] = []) {
  const emulator = await EmulatorProcess.start(emulatorArgs);
  const user = new CliUser(emulator);
  expectExit(await user.login(), 0, 'login');
  const created = expectExit(
    await user.run(['subscribe', 'contracts', '--url', 'http://127.0.0.1:9/hook', '--json']),
    0,
    'subscribe',
  ).json();
  return { emulator, user, created };
}

describe('binary against the emulator: HTTP behaviour', { timeout: 30_000 }, () => {
  it('status follows nextLink: 5 webhooks with --page-size 2 are all listed, fetched as 3 pages with $skiptoken', async () => {
    const emulator = await EmulatorProcess.start(['--page-size', '2']);
    const user = new CliUser(emulator);
    expectExit(await user.login(), 0, 'login');
    const urls = [1, 2, 3, 4, 5].map((n) => `http://127.0.0.1:9/hook-${n}`);
    // Concurrent runs on one config dir take turns on the profile's run lock (--wait) and keep every key.
    const runs = await Promise.all(urls.map((url) => user.run(['subscribe', 'contracts', '--url', url, '--json', '--wait', '30s'])));
    const created = runs.map((run, i) => {
      expectExit(run, 0, `subscribe ${urls[i]}`);
      const doc = run.json();
      expect(doc).toEqual({
        created: true,
        id: expect.any(String),
        collection: 'contracts',
        destinationUrl: urls[i],
        key: expect.any(String),
        validUntil: expect.any(String),
        status: 'Enabled',
        externalReferences: [],
        renewAfter: expect.any(String),
        deployed: null,
        hookErrors: [],
      });
      return doc;
    });
    const onServer = await emulator.webhooks();
    expect(onServer).toHaveLength(5);
    const stored = JSON.parse(readFileSync(user.stateFile, 'utf8')).subscriptions.default;
    for (const doc of created) expect(stored[doc.id]?.key, `key of ${doc.id} kept on disk`).toBe(doc.key);

    await emulator.clearRequests();
    const status = expectExit(await user.run(['status', '--json']), 0, 'status');
    const doc = status.json();
    expect(doc.subscriptions).toHaveLength(5);
    expect(new Set(doc.subscriptions.map((s: any) => s.id))).toEqual(new Set(created.map((c) => c.id)));
    expect(doc.subscriptions.every((s: any) => s.hasKey === true && s.state === 'ok')).toBe(true);
    expect(doc.summary.ok).toBe(5);

    const pages = listCalls(await emulator.requests());
    expect(pages.map((p) => p.status)).toEqual([200, 200, 200]);
    expect(pages.map((p) => new URLSearchParams(p.query).get('$skiptoken'))).toEqual([null, '2', '4']);
  });

  it('a 429 with Retry-After: 1 is waited out and retried: status exits 0 after >= 1 s, --debug shows the retry', async () => {
    const { emulator, user, created } = await loggedInWithOne();
    await emulator.addFault({ method: 'GET', path: LIST_PATH, status: 429, retryAfter: 1, count: 1 });
    await emulator.clearRequests();

    const started = Date.now();
    const run = await user.run(['status', '--debug']);
    const elapsed = Date.now() - started;
    expectExit(run, 0, 'status --debug');
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(run.stderr).toMatch(/retry 1\/\d+ of GET \S+\/webhooks in 1000 ms \(status 429\)/);
    expect(run.stderr).toMatch(/GET \S+\/webhooks -> 429/);
    expect(run.stdout).toContain(created.id);
    expect(run.stderr).not.toContain(created.key);

    expect(summary(await emulator.requests())).toEqual(['GET webhooks 429', 'GET webhooks 200']);
  });

  it('a 500 on a GET is retried: two 500s, then status exits 0 after the third GET', async () => {
    const { emulator, user, created } = await loggedInWithOne();
    await emulator.addFault({ method: 'GET', path: LIST_PATH, status: 500, count: 2 });
    await emulator.clearRequests();

    const run = expectExit(await user.run(['status', '--json']), 0, 'status');
    expect(run.json().subscriptions).toEqual([expect.objectContaining({ id: created.id, state: 'ok' })]);
    expect(summary(await emulator.requests())).toEqual(['GET webhooks 500', 'GET webhooks 500', 'GET webhooks 200']);
  });

  it('a token revoked between two runs is replaced: 401, a token request, then 200, and the new token is cached', async () => {
    const { emulator, user } = await loggedInWithOne();
    const tokenBefore = JSON.parse(readFileSync(user.stateFile, 'utf8')).profiles.default.token.accessToken;

    await emulator.clearRequests();
    expectExit(await user.run(['status']), 0, 'status with the cached token');
    expect(summary(await emulator.requests())).toEqual(['GET webhooks 200']);

    const revoked = await emulator.control<{ revoked: number }>('POST', '/tokens/revoke');
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked).toBeGreaterThanOrEqual(1);
    await emulator.clearRequests();
    const run = await user.run(['status', '--json']);
    expectExit(run, 0, 'status after revocation');
    expect(run.json().summary.ok).toBe(1);
    expect(summary(await emulator.requests())).toEqual(['GET webhooks 401', 'POST token 200', 'GET webhooks 200']);

    const tokenAfter = JSON.parse(readFileSync(user.stateFile, 'utf8')).profiles.default.token.accessToken;
    expect(tokenAfter).not.toBe(tokenBefore);
    await emulator.clearRequests();
    expectExit(await user.run(['status']), 0, 'status with the refreshed token');
    expect(summary(await emulator.requests())).toEqual(['GET webhooks 200']);
  });
});
