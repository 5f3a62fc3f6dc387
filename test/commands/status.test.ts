import nock from 'nock';
import { expect, it } from 'vitest';
import { forEachBackend } from '../helpers/backends.js';
import { API_ORIGIN, API_PATH, makeRecord, makeWebhook, mockList, mockToken, NOW, TOKEN } from '../helpers/protime.js';
import { openIntent } from './renew-helpers.js';

const DAY = 86_400_000;
const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString();

forEachBackend('status', (backend) => {
  it('merges the server list with local records and reports each state, exiting 5 on the worst', async () => {
    const { dir } = backend;
    const ok = makeRecord({ validUntil: at(20 * DAY), createdAt: at(-10 * DAY) });
    const due = makeRecord({ validUntil: at(2 * DAY), createdAt: at(-28 * DAY) });
    const gone = makeRecord({ validUntil: at(20 * DAY) });
    await backend.seed({ records: [ok, due, gone] });
    const foreign = makeWebhook({ validUntil: at(25 * DAY) });
    mockList([
      makeWebhook({ id: ok.id, validUntil: '2026-06-21T14:00:00+02:00' }),
      makeWebhook({ id: due.id, validUntil: at(2 * DAY) }),
      foreign,
    ]);

    const result = await backend.run(['status', '--json', '--config-dir', dir], { now: NOW });

    expect(result.code).toBe(5);
    const doc = result.json();
    expect(doc.profile).toBe('default');
    expect(doc.tenant).toBe('acme');
    expect(doc.checkedAt).toBe(NOW.toISOString());
    const states = Object.fromEntries(doc.subscriptions.map((s: any) => [s.id, s.state]));
    expect(states).toEqual({ [ok.id]: 'ok', [due.id]: 'renew-due', [gone.id]: 'missing', [foreign.id]: 'foreign' });
    expect(doc.summary).toEqual({
      ok: 1,
      renewDue: 1,
      expired: 0,
      disabled: 0,
      missing: 1,
      unknownKey: 0,
      replaced: 0,
      deployPending: 0,
      foreign: 1,
      deleteFailing: 0,
      unreadable: 0,
    });
    expect(doc.subscriptions.find((s: any) => s.id === foreign.id)).toMatchObject({ state: 'foreign', hasKey: false });
    const okEntry = doc.subscriptions.find((s: any) => s.id === ok.id);
    expect(okEntry).toEqual({
      id: ok.id,
      collection: 'contracts',
      destinationUrl: 'https://hooks.example.com/protime',
      status: 'Enabled',
      validUntil: '2026-06-21T12:00:00.000Z',
      secondsLeft: 20 * 86_400,
      state: 'ok',
      hasKey: true,
      renewAfter: '2026-06-14T12:00:00.000Z',
      deleteFailing: null,
    });
    expect(doc.subscriptions.find((s: any) => s.id === gone.id).status).toBeNull();
    // Keys never appear in status output.
    expect(result.stdout).not.toContain(ok.key!);
    expect(result.stdout).not.toContain(due.key!);
    expect(result.stderr).toContain('3 subscription(s): 1 ok, 1 renew-due, 1 missing');
    expect(result.stderr).toContain('1 other webhook(s) on the tenant belong to other profiles or tools (`status --all` lists them)');
  });

  it('never counts foreign webhooks in the exit code, and shows them in the table only with --all', async () => {
    const { dir } = backend;
    const ok = makeRecord({ validUntil: '2026-06-21T12:00:00Z', createdAt: '2026-05-22T12:00:00Z' });
    await backend.seed({ records: [ok] });
    const foreign = makeWebhook({ id: 'foreign-9', validUntil: '2026-06-02T12:00:00Z' });
    const server = [makeWebhook({ id: ok.id, validUntil: ok.validUntil }), foreign];
    mockList(server);
    const plain = await backend.run(['status', '--config-dir', dir], { now: NOW });
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain(ok.id);
    expect(plain.stdout).not.toContain('foreign-9');
    mockList(server);
    const all = await backend.run(['status', '--all', '--config-dir', dir], { now: NOW });
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/foreign-9 .* foreign /);
  });

  it('shows a replaced webhook whose delete keeps failing in deleteFailing, without changing the exit code', async () => {
    const { dir } = backend;
    const current = makeRecord({ id: 'new-1', validUntil: at(30 * DAY), createdAt: NOW.toISOString() });
    const owed = { replacedBy: 'new-1', validUntil: at(2 * DAY) };
    const failing = makeRecord({
      ...owed,
      id: 'old-1',
      deleteFailures: 3,
      deleteFailingSince: at(-DAY),
      nextDeleteAt: at(20 * 60_000),
      lastDeleteError: 'Protime answered 503 while deleting webhook old-1',
    });
    // Owed but never tried yet (its replacement's key was still being handed over): not failing.
    const untried = makeRecord({ ...owed, id: 'old-2', destinationUrl: 'https://hooks.example.com/other' });
    await backend.seed({ records: [current, failing, untried] });
    mockList([current, failing, untried].map((r) => makeWebhook({ id: r.id, validUntil: r.validUntil, destinationUrl: r.destinationUrl })));

    const result = await backend.run(['status', '--json', '--config-dir', dir], { now: NOW });

    expect(result.code).toBe(0);
    const byId = Object.fromEntries(result.json().subscriptions.map((s: any) => [s.id, s]));
    expect(byId['old-1']).toMatchObject({
      state: 'replaced',
      deleteFailing: {
        failures: 3,
        since: at(-DAY),
        nextAttemptAt: at(20 * 60_000),
        lastError: 'Protime answered 503 while deleting webhook old-1',
      },
    });
    expect(byId['old-2']).toMatchObject({ state: 'replaced', deleteFailing: null });
    expect(byId['new-1']).toMatchObject({ state: 'ok', deleteFailing: null });
    expect(result.json().summary).toMatchObject({ ok: 1, replaced: 2, deleteFailing: 1 });
    expect(result.stderr).toContain('1 replaced webhook(s) could not be deleted yet');
  });

  it('exits 3 when a renewal is due and 0 when everything is healthy', async () => {
    const { dir } = backend;
    const due = makeRecord({ validUntil: at(3 * DAY), createdAt: at(-27 * DAY) });
    await backend.seed({ records: [due] });
    mockList([makeWebhook({ id: due.id, validUntil: due.validUntil })]);
    expect((await backend.run(['status', '--config-dir', dir], { now: NOW })).code).toBe(3);

    mockList([makeWebhook({ id: due.id, validUntil: due.validUntil })]);
    const later = await backend.run(['status', '--config-dir', dir], { now: new Date(NOW.getTime() - 10 * DAY) });
    expect(later.code).toBe(0);
  });

  it('reports expired and disabled webhooks as critical', async () => {
    const { dir } = backend;
    const expired = makeRecord({ validUntil: at(-1000) });
    const disabled = makeRecord({ validUntil: at(10 * DAY) });
    await backend.seed({ records: [expired, disabled] });
    mockList([
      makeWebhook({ id: expired.id, validUntil: expired.validUntil }),
      makeWebhook({ id: disabled.id, status: 'Disabled', validUntil: disabled.validUntil }),
    ]);
    const result = await backend.run(['status', '--json', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(5);
    expect(result.json().summary).toMatchObject({ expired: 1, disabled: 1 });
    expect(result.stderr).toContain('re-sync');
  });

  it('leaves out disabled webhooks it holds nothing for', async () => {
    const { dir } = backend;
    await backend.seed();
    mockList([makeWebhook({ status: 'Disabled' })]);
    const result = await backend.run(['status', '--json', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(0);
    expect(result.json().subscriptions).toEqual([]);
  });

  it('--renew-within widens the window', async () => {
    const { dir } = backend;
    const record = makeRecord({ validUntil: at(20 * DAY), createdAt: at(-10 * DAY) });
    await backend.seed({ records: [record] });
    mockList([makeWebhook({ id: record.id, validUntil: record.validUntil })]);
    const result = await backend.run(['status', '--json', '--renew-within', '3w', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(3);
    expect(result.json().subscriptions[0]).toMatchObject({ state: 'renew-due', renewAfter: at(-1 * DAY) });
  });

  it('rejects a bad --renew-within as a usage error', async () => {
    const result = await backend.run(['status', '--renew-within', '7 days', '--json', '--config-dir', backend.dir], { now: NOW });
    expect(result.code).toBe(2);
    expect(result.json().error).toMatchObject({ code: 'bad-duration' });
    expect(result.json().error.message).toContain('90m, 36h, 7d or 2w');
  });

  it('--offline reads local records only and makes no request', async () => {
    const { dir } = backend;
    const record = makeRecord({ validUntil: at(2 * DAY), createdAt: at(-28 * DAY) });
    await backend.seed({ records: [record] });
    const result = await backend.run(['status', '--offline', '--json', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(3);
    expect(result.json().offline).toBe(true);
    expect(result.json().subscriptions).toMatchObject([{ id: record.id, state: 'renew-due', status: 'Enabled', hasKey: true }]);
  });

  it('--collection filters and validates the name', async () => {
    const { dir } = backend;
    await backend.seed({ records: [makeRecord({ collection: 'people' }), makeRecord()] });
    const filtered = await backend.run(['status', '--offline', '--collection', 'people', '--json', '--config-dir', dir], { now: NOW });
    expect(filtered.json().subscriptions.map((s: any) => s.collection)).toEqual(['people']);
    const typo = await backend.run(['status', '--offline', '--collection', 'peple', '--config-dir', dir], { now: NOW });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('Did you mean "people"?');
  });

  it('follows nextLink across pages, empty pages included', async () => {
    const { dir } = backend;
    await backend.seed();
    const first = makeWebhook({ validUntil: at(20 * DAY) });
    const last = makeWebhook({ validUntil: at(21 * DAY) });
    mockList([first], [], [last]);
    const result = await backend.run(['status', '--json', '--config-dir', dir], { now: NOW });
    expect(result.json().subscriptions.map((s: any) => s.id)).toEqual([first.id, last.id]);
  });

  it('prints an aligned plain table when stdout is not a terminal', async () => {
    const { dir } = backend;
    const record = makeRecord({ id: 'a7d853ea-0000-4000-8000-000000000001', validUntil: at(20 * DAY), createdAt: at(-10 * DAY) });
    await backend.seed({ records: [record] });
    const result = await backend.run(['status', '--offline', '--config-dir', dir], { now: NOW });
    expect(result.stdout).toMatchInlineSnapshot(`
      "ID                                    COLLECTION  DESTINATION                        STATE  VALID UNTIL               LEFT  RENEW AFTER               KEY
      a7d853ea-0000-4000-8000-000000000001  contracts   https://hooks.example.com/protime  ok     2026-06-21T12:00:00.000Z  20d   2026-06-14T12:00:00.000Z  held
      "
    `);
    expect(result.code).toBe(0);
  });

  it('prints [] and exits 0 when there are no subscriptions', async () => {
    const { dir } = backend;
    await backend.seed();
    mockList([]);
    const result = await backend.run(['status', '--json', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(0);
    expect(result.json().subscriptions).toEqual([]);
    const human = await backend.run(['status', '--offline', '--config-dir', dir], { now: NOW });
    expect(human.stdout).toBe('');
    expect(human.stderr).toContain('No subscriptions for profile "default"');
  });

  it('reuses the cached token across two runs: one token request', async () => {
    const { dir } = backend;
    await backend.seed({ token: false });
    mockToken();
    mockList([]);
    mockList([]);
    expect((await backend.run(['status', '--config-dir', dir], { now: NOW })).code).toBe(0);
    expect((await backend.run(['status', '--config-dir', dir], { now: NOW })).code).toBe(0);
  });

  it('gets a fresh token once after a 401 and retries', async () => {
    const { dir } = backend;
    await backend.seed();
    nock(API_ORIGIN)
      .get(`${API_PATH}/webhooks`)
      .matchHeader('authorization', `Bearer ${TOKEN}`)
      .reply(401, { error: { code: 'Unauthorized', message: 'expired' } });
    nock('https://authentication.myprotime.eu').post('/tenants/acme/connect/token').reply(200, {
      access_token: 'second-token-123',
      expires_in: 1800,
      scope: 'connector-protimeapi-webhooks.read connector-protimeapi-webhooks.write',
    });
    nock(API_ORIGIN).get(`${API_PATH}/webhooks`).matchHeader('authorization', 'Bearer second-token-123').reply(200, { value: [] });
    const result = await backend.run(['status', '--json', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(0);
  });

  it('exits 4 with a login hint when the profile does not exist', async () => {
    const result = await backend.run(['status', '--profile', 'nope', '--config-dir', backend.dir], { now: NOW });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('No profile named "nope"');
    expect(result.stderr).toContain('protime-hooks login --profile nope');
    expect(result.stdout).toBe('');
  });

  it('exits 75 when the server keeps failing', async () => {
    const { dir } = backend;
    await backend.seed();
    nock(API_ORIGIN)
      .get(`${API_PATH}/webhooks`)
      .times(4)
      .reply(503, '<html><title>Service Unavailable</title></html>', { 'content-type': 'text/html' });
    const result = await backend.run(['status', '--json', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(75);
    expect(result.json().error).toMatchObject({ code: 'server-error', status: 503 });
    expect(result.json().error.message).toContain('Service Unavailable');
    expect(result.sleeps).toHaveLength(3);
  });

  it('leaves an open intent to the run holding the profile, and settles it once the run lock is free', async () => {
    const { dir } = backend;
    const store = await backend.seed();
    await store.update((data) => {
      data.intents = {
        default: [openIntent()],
      };
    });
    const made = makeWebhook({ id: 'made-by-it' });
    const release = await store.runLock('default', 'subscribe', { waitMs: 0 });
    try {
      mockList([made]);
      const held = await backend.run(['status', '--json', '--config-dir', dir], { now: NOW });
      expect(held.json().subscriptions).toMatchObject([{ id: 'made-by-it', state: 'unknown-key' }]);
      const data = await backend.read();
      expect(data.intents?.default).toHaveLength(1);
      expect(data.subscriptions.default ?? {}).toEqual({});
    } finally {
      await release();
    }
    mockList([made]);
    const free = await backend.run(['status', '--json', '--config-dir', dir], { now: NOW });
    expect(free.json().subscriptions).toMatchObject([{ id: 'made-by-it', state: 'unknown-key' }]);
    const data = await backend.read();
    expect(data.intents?.default ?? []).toEqual([]);
    expect(data.subscriptions.default?.['made-by-it']).toMatchObject({ key: null });
  });
});
