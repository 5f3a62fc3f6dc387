import nock from 'nock';
import { expect, it } from 'vitest';
import { forEachBackend } from '../helpers/backends.js';
import { API_PATH, AUTH_ORIGIN, api, makeRecord, makeWebhook, mockList, mockToken, NOW, TOKEN_PATH } from '../helpers/protime.js';
import { at, DAY, dueRecord, mockCreate, mockDelete, okRecord, openIntent, openIntents, records, serverOf, URL } from './renew-helpers.js';

const NEW_VALID = '2026-07-01T12:00:00.000Z'; // what mockCreate's '2026-07-01T14:00:00+02:00' reads as

forEachBackend('renew: nothing due', (backend) => {
  it('is silent for cron: exit 0, empty stdout and stderr, store untouched but for the run it notes', async () => {
    const { dir } = backend;
    const ok = okRecord();
    await backend.seed({ records: [ok] });
    const before = await backend.read();

    mockList([serverOf(ok)]);
    const json = await backend.run(['renew', '--json', '--config-dir', dir], { now: NOW });
    expect(json.code).toBe(0);
    expect(json.json()).toEqual({ profile: 'default', results: [] });
    expect(json.stderr).toBe('');

    mockList([serverOf(ok)]);
    const human = await backend.run(['renew', '--config-dir', dir], { now: NOW });
    expect(human.code).toBe(0);
    expect(human.stdout).toBe('');
    expect(human.stderr).toBe('');
    const { renewRuns, ...after } = await backend.read();
    expect(after).toEqual(before);
    const at = NOW.toISOString();
    expect(renewRuns).toEqual({ default: { lastRunAt: at, lastSuccessAt: at, consecutiveFailures: 0 } });
  });
});

forEachBackend('renew: due subscriptions', (backend) => {
  it('creates each replacement with the same collection, destination and external references, stores its key, then deletes the old one', async () => {
    const { dir } = backend;
    const withRefs = dueRecord({
      externalReferences: [
        ['people', '@employee-number'],
        ['contracts', 'erp-id'],
      ],
    });
    const plain = dueRecord({ collection: 'people', destinationUrl: `${URL}/people` });
    const ok = okRecord({ destinationUrl: `${URL}/ok` });
    await backend.seed({ records: [withRefs, plain, ok] });
    // The server echoes references in its own shape; the record's pairs are what is carried over.
    mockList([serverOf(withRefs, { externalReferences: { people: '@badge-number' } }), serverOf(plain), serverOf(ok)]);
    mockCreate({ id: 'new-1', key: 'key-new-1', externalReferences: '(people,@employee-number)(contracts,erp-id)' });
    mockCreate({ id: 'new-2', key: 'key-new-2', collection: 'people', destinationUrl: `${URL}/people` });
    mockDelete(withRefs.id);
    mockDelete(plain.id);

    const result = await backend.run(['renew', '--json', '--config-dir', dir], { now: NOW });

    expect(result.code).toBe(0);
    const doc = result.json();
    expect(doc.profile).toBe('default');
    expect(doc.results).toHaveLength(2);
    expect(doc.results).toEqual(
      expect.arrayContaining([
        {
          action: 'renewed',
          oldId: withRefs.id,
          newId: 'new-1',
          collection: 'contracts',
          destinationUrl: URL,
          key: 'key-new-1',
          validUntil: NEW_VALID,
          error: null,
          errorCode: null,
          deployed: null,
          hookErrors: [],
        },
        {
          action: 'renewed',
          oldId: plain.id,
          newId: 'new-2',
          collection: 'people',
          destinationUrl: `${URL}/people`,
          key: 'key-new-2',
          validUntil: NEW_VALID,
          error: null,
          errorCode: null,
          deployed: null,
          hookErrors: [],
        },
      ]),
    );
    expect(result.stderr).toContain('2 renewed.');
    expect(result.stderr).not.toContain('key-new-1');

    const stored = await records(backend);
    expect(stored['new-1']).toMatchObject({
      key: 'key-new-1',
      collection: 'contracts',
      destinationUrl: URL,
      externalReferences: [
        ['people', '@employee-number'],
        ['contracts', 'erp-id'],
      ],
      validUntil: NEW_VALID,
      createdAt: NOW.toISOString(),
    });
    expect(stored['new-1']!.replacedBy).toBeUndefined();
    expect(stored['new-2']).toMatchObject({ key: 'key-new-2', collection: 'people', externalReferences: [] });
    // The old key stays until the old webhook's validUntil: late deliveries must still verify.
    expect(stored[withRefs.id]).toMatchObject({ replacedBy: 'new-1', deletedAt: NOW.toISOString(), key: withRefs.key, keepOld: false });
    expect(stored[plain.id]).toMatchObject({ replacedBy: 'new-2', deletedAt: NOW.toISOString() });
    expect(stored[ok.id]).toEqual(ok);
    expect(await openIntents(backend)).toEqual([]);
  });

  it('prints a plain table with the new key for people', async () => {
    const { dir } = backend;
    const old = dueRecord({ id: 'a7d853ea-0000-4000-8000-000000000001' });
    await backend.seed({ records: [old] });
    mockList([serverOf(old)]);
    mockCreate({ id: 'b1c2d3e4-0000-4000-8000-00000000000a', key: 'webhook-key-Zm9vYmFy' });
    mockDelete(old.id);
    const result = await backend.run(['renew', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatchInlineSnapshot(`
      "ACTION   COLLECTION  DESTINATION                        OLD ID                                NEW ID                                VALID UNTIL               KEY
      renewed  contracts   https://hooks.example.com/protime  a7d853ea-0000-4000-8000-000000000001  b1c2d3e4-0000-4000-8000-00000000000a  2026-07-01T12:00:00.000Z  webhook-key-Zm9vYmFy
      "
    `);
    expect(result.stderr).toContain('1 renewed.');
  });

  it('refuses a foreign id without --adopt (exit 2, nothing sent); --adopt carries its external references over from the server', async () => {
    const { dir } = backend;
    await backend.seed();
    const foreign = makeWebhook({ id: 'foreign-1', externalReferences: { people: '@badge-number' } });
    mockList([foreign]);
    const refused = await backend.run(['renew', 'foreign-1', '--json', '--config-dir', dir], { now: NOW });
    expect(refused.code).toBe(2);
    expect(refused.json().error).toMatchObject({ code: 'not-owned' });
    expect(refused.json().error.hint).toContain('--adopt');
    expect(await records(backend)).toEqual({});

    mockList([foreign]);
    mockCreate({ id: 'new-f', externalReferences: '(people,@badge-number)' });
    mockDelete('foreign-1');
    const result = await backend.run(['renew', 'foreign-1', '--adopt', '--json', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(0);
    expect(result.json().results).toMatchObject([{ action: 'renewed', oldId: 'foreign-1', newId: 'new-f', key: 'key-of-new-f' }]);
    expect((await records(backend))['new-f']!.externalReferences).toEqual([['people', '@badge-number']]);
  });
});

forEachBackend('renew with ids', (backend) => {
  it('renews exactly the given ones, due or not, once each; an unknown id fails with not-found (exit 1)', async () => {
    const { dir } = backend;
    const a = okRecord({ destinationUrl: `${URL}/a` });
    const b = okRecord({ destinationUrl: `${URL}/b` });
    await backend.seed({ records: [a, b] });
    mockList([serverOf(a), serverOf(b)]);
    mockCreate({ id: 'new-a', destinationUrl: `${URL}/a` });
    mockDelete(a.id);

    const result = await backend.run(['renew', a.id, 'nope', a.id, '--json', '--config-dir', dir], { now: NOW });

    expect(result.code).toBe(1);
    const results = result.json().results;
    expect(results).toHaveLength(2);
    expect(results.find((r: any) => r.oldId === a.id)).toMatchObject({ action: 'renewed', newId: 'new-a' });
    expect(results.find((r: any) => r.oldId === 'nope')).toEqual({
      action: 'failed',
      oldId: 'nope',
      newId: null,
      collection: null,
      destinationUrl: null,
      key: null,
      validUntil: null,
      error: expect.stringContaining('No subscription nope'),
      errorCode: 'not-found',
      deployed: null,
      hookErrors: [],
    });
    expect((await records(backend))[b.id]).toEqual(b);
    expect((await records(backend))[a.id]!.replacedBy).toBe('new-a');
  });

  it('tells people on stderr why an id failed', async () => {
    const { dir } = backend;
    await backend.seed();
    mockList([]);
    const result = await backend.run(['renew', 'nope', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('failed');
    expect(result.stderr).toContain('No subscription nope');
    expect(result.stderr).toContain('1 failed.');
  });
});

forEachBackend('renew --keep-old', (backend) => {
  it('sends no DELETE, marks the old record replaced and kept, and status shows it as replaced (not due, not unknown-key)', async () => {
    const { dir } = backend;
    const old = dueRecord();
    await backend.seed({ records: [old] });
    mockList([serverOf(old)]);
    mockCreate({ id: 'new-k' });

    const result = await backend.run(['renew', '--keep-old', '--json', '--config-dir', dir], { now: NOW });

    expect(result.code).toBe(0);
    expect(result.json().results).toMatchObject([{ action: 'renewed', oldId: old.id, newId: 'new-k' }]);
    const stored = (await records(backend))[old.id]!;
    expect(stored).toMatchObject({ replacedBy: 'new-k', keepOld: true, key: old.key });
    expect(stored.deletedAt).toBeUndefined();

    // Both still deliver: the old one is listed as replaced (key held), which never raises the exit code.
    const both = [serverOf(old), makeWebhook({ id: 'new-k', validUntil: '2026-07-01T12:00:00Z' })];
    mockList(both);
    const status = await backend.run(['status', '--json', '--config-dir', dir], { now: NOW });
    expect(status.code).toBe(0);
    expect(status.json().subscriptions).toMatchObject([
      { id: 'new-k', state: 'ok', hasKey: true },
      { id: old.id, state: 'replaced', hasKey: true },
    ]);
    expect(status.json().summary).toMatchObject({ ok: 1, replaced: 1, unknownKey: 0, renewDue: 0 });

    // Renewing it by id is refused: it was replaced already.
    mockList(both);
    const byId = await backend.run(['renew', old.id, '--json', '--config-dir', dir], { now: NOW });
    expect(byId.code).toBe(1);
    expect(byId.json().results).toMatchObject([{ action: 'failed', oldId: old.id, errorCode: 'already-replaced' }]);

    // A later run does not owe its delete either.
    mockList(both);
    const again = await backend.run(['renew', '--config-dir', dir], { now: NOW });
    expect(again.code).toBe(0);
    expect(again.stderr).toBe('');
  });
});

forEachBackend('renew --dry-run', (backend) => {
  it('plans without POST or DELETE and leaves the store unchanged, open intents included', async () => {
    const { dir } = backend;
    const due = dueRecord();
    const expired = makeRecord({ destinationUrl: `${URL}/expired`, validUntil: at(-DAY) });
    const store = await backend.seed({ records: [due, expired] });
    await store.update((data) => {
      data.intents = {
        default: [openIntent({ collection: 'people', destinationUrl: `${URL}/p` })],
      };
    });
    const before = await backend.read();
    mockList([serverOf(due), serverOf(expired), makeWebhook({ collectionName: 'people', destinationUrl: `${URL}/p` })]);

    const result = await backend.run(['renew', '--dry-run', '--json', '--config-dir', dir], { now: NOW });

    expect(result.code).toBe(5);
    const results = result.json().results;
    expect(results).toHaveLength(2);
    expect(results.find((r: any) => r.oldId === due.id)).toEqual({
      action: 'planned',
      oldId: due.id,
      newId: null,
      collection: 'contracts',
      destinationUrl: URL,
      key: null,
      validUntil: null,
      error: null,
      errorCode: null,
      deployed: null,
      hookErrors: [],
    });
    expect(results.find((r: any) => r.oldId === expired.id)).toMatchObject({
      action: 'skipped',
      errorCode: 'expired',
      deployed: null,
      hookErrors: [],
      error: expect.stringContaining('re-sync'),
    });
    expect(await backend.read()).toEqual(before);
  });
});

forEachBackend('renew: expired, disabled and missing subscriptions', (backend) => {
  const setup = async () => {
    const { dir } = backend;
    const expired = makeRecord({ destinationUrl: `${URL}/expired`, validUntil: at(-DAY) });
    const disabled = makeRecord({ destinationUrl: `${URL}/disabled`, validUntil: at(10 * DAY) });
    const missing = makeRecord({ destinationUrl: `${URL}/missing`, validUntil: at(10 * DAY) });
    await backend.seed({ records: [expired, disabled, missing] });
    mockList([serverOf(expired), serverOf(disabled, { status: 'Disabled' })]);
    return { dir, expired, disabled, missing };
  };

  it('skips them with a re-sync warning and exits 5', async () => {
    const { dir, expired, disabled, missing } = await setup();
    const before = await backend.read();
    const result = await backend.run(['renew', '--json', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(5);
    const byId = Object.fromEntries(result.json().results.map((r: any) => [r.oldId, r]));
    expect(Object.keys(byId).sort()).toEqual([expired.id, disabled.id, missing.id].sort());
    for (const [r, state] of [
      [byId[expired.id], 'expired'],
      [byId[disabled.id], 'disabled'],
      [byId[missing.id], 'missing'],
    ]) {
      expect(r).toMatchObject({ action: 'skipped', errorCode: state, newId: null, key: null });
      expect(r.error).toContain('re-sync');
    }
    for (const id of [expired.id, disabled.id, missing.id]) expect(result.stderr).toContain(`Skipped ${id}`);
    expect(result.stderr.match(/re-sync/g)!.length).toBeGreaterThanOrEqual(3);
    // Nothing replaced, nothing recorded but the failed run (exit 5 needs a person: not a success).
    const { renewRuns, ...after } = await backend.read();
    expect(after).toEqual(before);
    expect(renewRuns?.default).toEqual({ lastRunAt: NOW.toISOString(), lastSuccessAt: null, consecutiveFailures: 1 });
  });

  it('--recreate replaces them (action recreated) and retires the old ones, exit 0', async () => {
    const { dir, expired, disabled, missing } = await setup();
    mockCreate({ id: 'new-e', destinationUrl: `${URL}/expired` });
    mockCreate({ id: 'new-d', destinationUrl: `${URL}/disabled` });
    mockCreate({ id: 'new-m', destinationUrl: `${URL}/missing` });
    mockDelete(expired.id);
    mockDelete(disabled.id);
    mockDelete(missing.id, 404);

    const result = await backend.run(['renew', '--recreate', '--json', '--config-dir', dir], { now: NOW });

    expect(result.code).toBe(0);
    const pairs = result.json().results.map((r: any) => [r.action, r.oldId, r.newId]);
    expect(pairs.sort()).toEqual(
      [
        ['recreated', expired.id, 'new-e'],
        ['recreated', disabled.id, 'new-d'],
        ['recreated', missing.id, 'new-m'],
      ].sort(),
    );
    const stored = await records(backend);
    for (const [old, id] of [
      [expired, 'new-e'],
      [disabled, 'new-d'],
      [missing, 'new-m'],
    ] as const) {
      expect(stored[old.id]).toMatchObject({ replacedBy: id, deletedAt: NOW.toISOString() });
      expect(stored[id]!.key).toBe(`key-of-${id}`);
    }
    expect(result.stderr).toContain('3 recreated.');
  });
});

forEachBackend('renew: the old webhook cannot be deleted', (backend) => {
  it('still reports renewed with a warning, owes the delete, and the next run makes it', async () => {
    const { dir } = backend;
    const old = dueRecord();
    await backend.seed({ records: [old] });
    mockList([serverOf(old)]);
    mockCreate({ id: 'new-x' });
    mockDelete(old.id, 500, 4);

    const first = await backend.run(['renew', '--json', '--config-dir', dir], { now: NOW });

    expect(first.code).toBe(0);
    expect(first.json().results).toMatchObject([{ action: 'renewed', oldId: old.id, newId: 'new-x', key: 'key-of-new-x', error: null }]);
    expect(first.stderr).toContain(`Renewed ${old.id}, but deleting it failed`);
    expect(first.stderr).toContain('the next run deletes it');
    expect(first.sleeps).toHaveLength(3);
    let stored = (await records(backend))[old.id]!;
    expect(stored).toMatchObject({ replacedBy: 'new-x', key: old.key });
    expect(stored.deletedAt).toBeUndefined();

    const newOne = makeWebhook({ id: 'new-x', validUntil: '2026-07-01T12:00:00Z' });
    mockList([serverOf(old), newOne]);
    mockDelete(old.id);
    // Past the first backoff (5 min; renew-owed-deletes.test.ts covers runs inside it).
    const later = new Date(NOW.getTime() + 6 * 60_000);
    const second = await backend.run(['renew', '--json', '--config-dir', dir], { now: later });
    expect(second.code).toBe(0);
    expect(second.json()).toEqual({ profile: 'default', results: [] });
    expect(second.stderr).toContain(`Deleted webhook ${old.id}, replaced earlier by new-x`);
    stored = (await records(backend))[old.id]!;
    expect(stored).toMatchObject({ replacedBy: 'new-x', deletedAt: later.toISOString() });

    // Nothing owed any more: the third run is silent and sends no DELETE.
    mockList([newOne]);
    const third = await backend.run(['renew', '--config-dir', dir], { now: later });
    expect(third.code).toBe(0);
    expect(third.stderr).toBe('');
  });
});

forEachBackend('renew: the create fails', (backend) => {
  it('a 400 fails the item (exit 1), closes the intent and leaves the old webhook alone', async () => {
    const { dir } = backend;
    const old = dueRecord();
    await backend.seed({ records: [old] });
    mockList([serverOf(old)]);
    mockCreate({ id: 'x', status: 400, body: { error: { code: 'BadRequest', message: 'Invalid destination URL' } } });

    const result = await backend.run(['renew', '--json', '--config-dir', dir], { now: NOW });

    expect(result.code).toBe(1);
    expect(result.json().results).toEqual([
      {
        action: 'failed',
        oldId: old.id,
        newId: null,
        collection: 'contracts',
        destinationUrl: URL,
        key: null,
        validUntil: null,
        error: expect.stringContaining('Invalid destination URL'),
        errorCode: 'bad-request',
        deployed: null,
        hookErrors: [],
      },
    ]);
    expect(result.stderr).toContain(`Renewing ${old.id} failed`);
    expect(await openIntents(backend)).toEqual([]);
    expect(await records(backend)).toEqual({ [old.id]: old });
  });

  it('a timeout fails with exit 75 and keeps the intent; status adopts what it created; renew then only deletes it beside a keyed healthy one', async () => {
    const { dir } = backend;
    const old = okRecord();
    await backend.seed({ records: [old] });
    mockList([serverOf(old)]);
    api().post(`${API_PATH}/webhooks`, { destinationUrl: URL, collectionName: 'contracts' }).delay(3000).reply(201, {});

    const renew = await backend.run(['renew', old.id, '--json', '--config-dir', dir], { now: NOW, env: { PROTIME_HOOKS_TIMEOUT: '0.2' } });

    expect(renew.code).toBe(75);
    expect(renew.json().results).toMatchObject([
      {
        action: 'failed',
        oldId: old.id,
        newId: null,
        errorCode: 'create-timeout',
        error: expect.stringContaining('may have been created'),
      },
    ]);
    expect(await openIntents(backend)).toMatchObject([{ kind: 'renew', collection: 'contracts', destinationUrl: URL, replaces: old.id }]);
    expect(await records(backend)).toEqual({ [old.id]: old });

    // The POST did create one: the list now shows it, unknown here.
    const orphan = makeWebhook({ id: 'orphan-1', validUntil: '2026-07-01T12:00:00Z' });
    mockList([serverOf(old), orphan]);
    const status = await backend.run(['status', '--json', '--config-dir', dir], { now: NOW });
    expect(status.code).toBe(3);
    expect(status.json().subscriptions.find((s: any) => s.id === 'orphan-1')).toMatchObject({ state: 'unknown-key', hasKey: false });
    expect(status.stderr).toContain('created by an interrupted run');
    expect(await openIntents(backend)).toEqual([]);
    expect((await records(backend))['orphan-1']).toMatchObject({ adopted: true, key: null, collection: 'contracts', destinationUrl: URL });

    // The old one still serves the destination with its key: the orphan is only deleted.
    mockList([serverOf(old), orphan]);
    mockDelete('orphan-1');
    const cleanup = await backend.run(['renew', '--json', '--config-dir', dir], { now: NOW });
    expect(cleanup.code).toBe(0);
    expect(cleanup.json()).toEqual({ profile: 'default', results: [] });
    expect(cleanup.stderr).toContain('Retired webhook orphan-1 (left without a key by an interrupted run)');
    expect((await records(backend))['orphan-1']).toMatchObject({ deletedAt: NOW.toISOString(), key: null });
    expect((await records(backend))[old.id]).toEqual(old);
  });

  it('an adopted webhook whose destination has no keyed one is replaced: POST, then DELETE of the orphan', async () => {
    const { dir } = backend;
    await backend.seed();
    mockList([]);
    api()
      .post(`${API_PATH}/webhooks`, { destinationUrl: URL, collectionName: 'contracts' })
      .query({ externalReferences: '(people,@badge-number)' })
      .delay(3000)
      .reply(201, {});
    const subscribe = await backend.run(
      ['subscribe', 'contracts', '--url', URL, '--external-ref', 'people,@badge-number', '--force', '--json', '--config-dir', dir],
      {
        now: NOW,
        env: { PROTIME_HOOKS_TIMEOUT: '0.2' },
      },
    );
    expect(subscribe.code).toBe(75);
    expect(await openIntents(backend)).toHaveLength(1);

    const orphan = makeWebhook({ id: 'orphan-2', validUntil: '2026-07-01T12:00:00Z' });
    mockList([orphan]);
    const status = await backend.run(['status', '--json', '--config-dir', dir], { now: NOW });
    expect(status.code).toBe(3);
    expect(status.json().subscriptions).toMatchObject([{ id: 'orphan-2', state: 'unknown-key', hasKey: false }]);

    mockList([orphan]);
    mockCreate({ id: 'new-o', key: 'key-new-o', externalReferences: '(people,@badge-number)' });
    mockDelete('orphan-2');
    const renew = await backend.run(['renew', '--json', '--config-dir', dir], { now: NOW });
    expect(renew.code).toBe(0);
    expect(renew.json().results).toEqual([
      {
        action: 'renewed',
        oldId: 'orphan-2',
        newId: 'new-o',
        collection: 'contracts',
        destinationUrl: URL,
        key: 'key-new-o',
        validUntil: NEW_VALID,
        error: null,
        errorCode: null,
        deployed: null,
        hookErrors: [],
      },
    ]);
    const stored = await records(backend);
    expect(stored['orphan-2']).toMatchObject({ adopted: true, replacedBy: 'new-o', deletedAt: NOW.toISOString() });
    expect(stored['new-o']).toMatchObject({ key: 'key-new-o', externalReferences: [['people', '@badge-number']] });
  });

  it('never adopts a webhook to the same destination that existed before the interrupted create', async () => {
    const { dir } = backend;
    await backend.seed();
    const foreign = makeWebhook({ id: 'foreign-1', validUntil: '2026-07-01T12:00:00Z' });
    mockList([foreign]);
    api().post(`${API_PATH}/webhooks`).delay(3000).reply(201, {});
    const subscribe = await backend.run(['subscribe', 'contracts', '--url', URL, '--force', '--config-dir', dir], {
      now: NOW,
      env: { PROTIME_HOOKS_TIMEOUT: '0.2' },
    });
    expect(subscribe.code).toBe(75);
    expect((await openIntents(backend))[0]).toMatchObject({ preexisting: ['foreign-1'] });

    mockList([foreign, makeWebhook({ id: 'ours-1', validUntil: '2026-07-01T12:00:00Z' })]);
    const status = await backend.run(['status', '--json', '--config-dir', dir], { now: NOW });
    expect(
      status
        .json()
        .subscriptions.map((s: { id: string; state: string }) => `${s.id}:${s.state}`)
        .sort(),
    ).toEqual(['foreign-1:foreign', 'ours-1:unknown-key']);
    expect(Object.keys(await records(backend))).toEqual(['ours-1']);
    expect((await records(backend))['ours-1']).toMatchObject({ adopted: true });
    expect(await openIntents(backend)).toEqual([]);
  });

  it('after a timed-out --recreate of a missing webhook, the next --recreate creates one webhook for the destination, not two', async () => {
    const { dir } = backend;
    const missing = makeRecord({ validUntil: at(10 * DAY) });
    await backend.seed({ records: [missing] });
    mockList([]);
    api().post(`${API_PATH}/webhooks`, { destinationUrl: URL, collectionName: 'contracts' }).delay(3000).reply(201, {});
    const first = await backend.run(['renew', '--recreate', '--json', '--config-dir', dir], {
      now: NOW,
      env: { PROTIME_HOOKS_TIMEOUT: '0.2' },
    });
    expect(first.code).toBe(75);

    // The next run settles the intent itself (no status in between).
    mockList([makeWebhook({ id: 'orphan-3', validUntil: '2026-07-01T12:00:00Z' })]);
    mockCreate({ id: 'new-m' });
    mockDelete(missing.id, 404);
    mockDelete('orphan-3');
    const second = await backend.run(['renew', '--recreate', '--json', '--config-dir', dir], { now: NOW });
    expect(second.code).toBe(0);
    expect(second.json().results).toMatchObject([{ action: 'recreated', oldId: missing.id, newId: 'new-m' }]);
    expect(second.stderr).toContain('lost their keys');
    const live = Object.values(await records(backend)).filter((r) => !r.deletedAt && !r.replacedBy);
    expect(live.map((r) => r.id)).toEqual(['new-m']);
  });
});

forEachBackend('renew: credentials revoked', (backend) => {
  it('a token endpoint answering 401 invalid_client during the run exits 4 and creates nothing more', async () => {
    const { dir } = backend;
    const a = dueRecord({ destinationUrl: `${URL}/a` });
    const b = dueRecord({ destinationUrl: `${URL}/b` });
    await backend.seed({ records: [a, b] });
    mockList([serverOf(a), serverOf(b)]);
    // The cached token is refused, the token endpoint refuses the client. Both creates may be in
    // flight at once (--concurrency): the second, if sent, is refused the same way.
    api()
      .post(`${API_PATH}/webhooks`)
      .reply(401, { error: { code: 'Unauthorized', message: 'token revoked' } });
    api()
      .post(`${API_PATH}/webhooks`)
      .optionally()
      .reply(401, { error: { code: 'Unauthorized', message: 'token revoked' } });
    mockToken({ status: 401, body: { error: 'invalid_client', error_description: 'Client is disabled' } });
    nock(AUTH_ORIGIN).post(TOKEN_PATH).optionally().reply(401, { error: 'invalid_client', error_description: 'Client is disabled' });

    const result = await backend.run(['renew', '--json', '--config-dir', dir], { now: NOW });

    expect(result.code).toBe(4);
    expect(result.json().error).toMatchObject({ code: 'credentials-rejected', status: 401 });
    expect(result.json().error.message).toContain('invalid_client');
    expect(await records(backend)).toEqual({ [a.id]: a, [b.id]: b });
    expect(await openIntents(backend)).toEqual([]);
  });

  it('with --concurrency 1, sends no create after the one whose answer revoked the credentials', async () => {
    const { dir } = backend;
    // Two replacements are under way at once even at --concurrency 1 (one may wait for its store
    // write holding no request slot): the second must not be sent once the first says the run stops.
    const due = ['a', 'b', 'c'].map((name) => dueRecord({ destinationUrl: `${URL}/${name}` }));
    await backend.seed({ records: due });
    mockList(due.map((record) => serverOf(record)));
    let creates = 0;
    api()
      .post(`${API_PATH}/webhooks`)
      .times(3)
      .optionally()
      .reply(() => {
        creates++;
        return [401, { error: { code: 'Unauthorized', message: 'token revoked' } }];
      });
    mockToken({ status: 401, body: { error: 'invalid_client', error_description: 'Client is disabled' } });

    const result = await backend.run(['renew', '--concurrency', '1', '--json', '--config-dir', dir], { now: NOW });

    expect(result.code).toBe(4);
    expect(result.json().error).toMatchObject({ code: 'credentials-rejected', status: 401 });
    expect(creates).toBe(1);
    expect(await records(backend)).toEqual(Object.fromEntries(due.map((record) => [record.id, record])));
    expect(await openIntents(backend)).toEqual([]);
  });

  it('exits 4 before listing when no token can be had', async () => {
    const { dir } = backend;
    await backend.seed({ records: [dueRecord()], token: false });
    mockToken({ status: 401, body: { error: 'invalid_client' } });
    const result = await backend.run(['renew', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(4);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('rejected the credentials (invalid_client)');
  });
});

forEachBackend('renew: keys of retired webhooks', (backend) => {
  it('forgets keys of replaced or deleted webhooks past validUntil, and never those of live ones', async () => {
    const { dir } = backend;
    const past = at(-DAY);
    const replacedDeleted = makeRecord({ validUntil: past, replacedBy: 'n1', deletedAt: at(-10 * DAY) });
    const keptOld = makeRecord({ validUntil: past, replacedBy: 'n2', keepOld: true });
    const unsubscribedLate = makeRecord({ validUntil: at(5 * DAY), deletedAt: at(-DAY) });
    const liveOk = okRecord({ destinationUrl: `${URL}/ok` });
    const liveExpired = makeRecord({ destinationUrl: `${URL}/expired`, validUntil: past });
    await backend.seed({ records: [replacedDeleted, keptOld, unsubscribedLate, liveOk, liveExpired] });
    mockList([serverOf(liveOk), serverOf(liveExpired)]);

    const result = await backend.run(['renew', '--json', '--config-dir', dir], { now: NOW });

    expect(result.code).toBe(5); // the live expired one is skipped, not replaced
    const stored = await records(backend);
    expect(stored[replacedDeleted.id]!.key).toBeNull();
    expect(stored[keptOld.id]!.key).toBeNull();
    expect(stored[unsubscribedLate.id]!.key).toBe(unsubscribedLate.key);
    expect(stored[liveOk.id]!.key).toBe(liveOk.key);
    expect(stored[liveExpired.id]!.key).toBe(liveExpired.key);
  });

  it('--dry-run forgets nothing', async () => {
    const { dir } = backend;
    const retired = makeRecord({ validUntil: at(-DAY), replacedBy: 'n1', deletedAt: at(-10 * DAY) });
    await backend.seed({ records: [retired] });
    mockList([]);
    const result = await backend.run(['renew', '--dry-run', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(0);
    expect((await records(backend))[retired.id]!.key).toBe(retired.key);
  });
});
