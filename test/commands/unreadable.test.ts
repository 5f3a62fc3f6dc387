import { expect, it } from 'vitest';
import { forEachBackend } from '../helpers/backends.js';
import { API_ORIGIN, API_PATH, api, makeRecord, makeWebhook, NOW, writesCaught } from '../helpers/protime.js';
import { at, DAY, dueRecord, mockCreate, mockDelete, okRecord, openIntent, records, serverOf, URL } from './renew-helpers.js';

/** GET /webhooks answered with these pages, items taken as they are (broken ones included). */
function mockPages(...pages: unknown[][]) {
  pages.forEach((value, i) => {
    const path = i === 0 ? `${API_PATH}/webhooks` : `${API_PATH}/webhooks?page=${i}`;
    const nextLink = i + 1 < pages.length ? `${API_ORIGIN}${API_PATH}/webhooks?page=${i + 1}` : undefined;
    api()
      .get(path)
      .reply(200, { value, ...(nextLink ? { nextLink } : {}) });
  });
}

const BAD_TIME = 'validUntil: expected an ISO 8601 date-time with an offset';

forEachBackend('a malformed item in the webhook list', (backend) => {
  it('status lists the good ones, names each bad one on stderr (escaped), marks our record unreadable, never missing, and exits 1', async () => {
    const { dir } = backend;
    const ok = okRecord();
    const bad = okRecord({ id: 'bad-1' });
    await backend.seed({ records: [ok, bad] });
    const foreign = makeWebhook({ id: 'foreign-1', validUntil: at(25 * DAY) });
    mockPages(
      [serverOf(ok), serverOf(bad, { validUntil: 'soon' })],
      [foreign, { destinationUrl: URL }, { ...foreign, id: 'evil\u001b[2J', status: 5 }],
    );

    const result = await backend.run(['status', '--json', '--config-dir', dir], { now: NOW });

    expect(result.code).toBe(1);
    const doc = result.json();
    const states = Object.fromEntries(doc.subscriptions.map((s: any) => [s.id, s.state]));
    expect(states).toEqual({ [ok.id]: 'ok', 'bad-1': 'unreadable', 'foreign-1': 'foreign' });
    // What it last knew of it, and what was wrong with the server's item.
    expect(doc.subscriptions.find((s: any) => s.id === 'bad-1')).toEqual({
      id: 'bad-1',
      collection: 'contracts',
      destinationUrl: URL,
      status: 'Enabled',
      validUntil: bad.validUntil,
      secondsLeft: 20 * 86_400,
      state: 'unreadable',
      hasKey: true,
      renewAfter: expect.any(String),
      deleteFailing: null,
      problem: BAD_TIME,
    });
    expect(doc.summary).toMatchObject({ ok: 1, missing: 0, foreign: 1, unreadable: 1 });
    expect(doc.unreadable).toEqual([
      { id: 'bad-1', page: 1, index: 1, problem: BAD_TIME },
      { id: null, page: 2, index: 1, problem: expect.stringMatching(/^id: /) },
      { id: 'evil\u001b[2J', page: 2, index: 2, problem: expect.stringMatching(/^status: /) },
    ]);
    expect(result.stderr).toContain(`Protime listed webhook bad-1, but it could not be read (${BAD_TIME})`);
    expect(result.stderr).toContain('Protime listed an item without a readable id (page 2, index 1)');
    expect(result.stderr).toContain('Protime listed webhook evil?[2J, but');
    expect(result.stderr).not.toContain('\u001b');
    expect(result.stderr).toContain('1 unreadable');
  });

  it('renew renews the rest, fails the unreadable ones (exit 1) and sends them no POST or DELETE, --recreate included', async () => {
    const { dir } = backend;
    const good = dueRecord({ destinationUrl: `${URL}/good` });
    const badDue = dueRecord({ id: 'bad-due' });
    const badOrphan = makeRecord({ id: 'bad-orphan', destinationUrl: `${URL}/orphan`, key: null, adopted: true });
    await backend.seed({ records: [good, badDue, badOrphan] });
    const broken = [serverOf(badDue, { collectionName: undefined }), { id: 'bad-orphan', validUntil: 'later' }];
    mockPages([serverOf(good), ...broken]);
    mockCreate({ id: 'new-good', destinationUrl: `${URL}/good` });
    mockDelete(good.id);
    const caught = writesCaught();

    const result = await backend.run(['renew', '--json', '--config-dir', dir], { now: NOW });

    expect(result.code).toBe(1);
    expect(result.json().results).toEqual([
      expect.objectContaining({
        action: 'failed',
        oldId: 'bad-due',
        errorCode: 'unreadable',
        error: expect.stringContaining('collectionName: '),
      }),
      expect.objectContaining({ action: 'failed', oldId: 'bad-orphan', errorCode: 'unreadable' }),
      expect.objectContaining({ action: 'renewed', oldId: good.id, newId: 'new-good' }),
    ]);
    expect(result.stderr).toContain("bad-due is on Protime's list but could not be read");
    const after = await records(backend);
    expect(after['bad-due']).toEqual(badDue);
    expect(after['bad-orphan']).toEqual(badOrphan);

    // Asked for by id, and with --recreate: still left alone.
    mockPages(broken);
    const byId = await backend.run(['renew', 'bad-due', 'bad-orphan', '--recreate', '--json', '--config-dir', dir], { now: NOW });
    expect(byId.code).toBe(1);
    expect(byId.json().results.map((r: any) => [r.oldId, r.action, r.errorCode])).toEqual([
      ['bad-due', 'failed', 'unreadable'],
      ['bad-orphan', 'failed', 'unreadable'],
    ]);
    expect(caught).toEqual([]);
    expect((await records(backend))['bad-due']).toEqual(badDue);
  });

  it('an open intent is not settled while an item no record knows is unreadable: it may be the webhook that intent made', async () => {
    const { dir } = backend;
    const store = await backend.seed();
    await store.update((data) => {
      data.intents = {
        default: [openIntent()],
      };
    });
    mockPages([{ ...makeWebhook({ id: 'made-by-it' }), validUntil: 'soon' }]);
    const result = await backend.run(['status', '--json', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(0);
    const data = await backend.read();
    expect(data.intents?.default).toHaveLength(1);
    expect(data.subscriptions.default ?? {}).toEqual({});
  });

  it('subscribe creates no second webhook when ours to that destination is unreadable (exit 1), unless --force', async () => {
    const { dir } = backend;
    const ours = okRecord({ id: 'ours-1', destinationUrl: URL });
    await backend.seed({ records: [ours] });
    const caught = writesCaught();
    mockPages([serverOf(ours, { status: null as unknown as string })]);
    const result = await backend.run(['subscribe', 'contracts', '--url', URL, '--json', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(1);
    expect(result.json().error).toMatchObject({ code: 'unreadable-webhook', message: expect.stringContaining('ours-1') });
    expect(caught).toEqual([]);
  });
});
