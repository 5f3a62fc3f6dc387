import nock from 'nock';
import { expect, it } from 'vitest';
import type { StoreData } from '../../src/state/schemas.js';
import { forEachBackend } from '../helpers/backends.js';
import { API_ORIGIN, API_PATH, api, makeRecord, makeWebhook, mockList, NOW, writesCaught } from '../helpers/protime.js';
import { openIntent } from './renew-helpers.js';

const URL = 'https://hooks.example.com/protime';
const CREATED = {
  id: 'b1c2d3e4-0000-4000-8000-00000000000a',
  key: 'webhook-key-Zm9vYmFyYmF6cXV4',
  validUntil: '2026-07-01T14:00:00+02:00',
  status: 'Enabled',
  destinationUrl: URL,
  collectionName: 'contracts',
};

function mockCreate(
  reply: { status?: number; body?: unknown; headers?: Record<string, string> } = {},
  query: Record<string, string> | true = true,
) {
  return api()
    .post(`${API_PATH}/webhooks`, { destinationUrl: URL, collectionName: 'contracts' })
    .query(query)
    .reply(reply.status ?? 201, (reply.body ?? CREATED) as nock.Body, {
      location: `${API_ORIGIN}${API_PATH}/webhooks/${CREATED.id}`,
      ...reply.headers,
    });
}

forEachBackend('subscribe', (backend) => {
  it('creates the webhook, stores its key before printing, and prints id, key, validUntil and renewAfter', async () => {
    const { dir } = backend;
    await backend.seed();
    mockList([]);
    mockCreate({}, { externalReferences: '(people,@employee-number)(contracts,erp-id)' });

    const result = await backend.run(
      [
        'subscribe',
        'contracts',
        '--url',
        URL,
        '--external-ref',
        'people,@employee-number',
        '--external-ref',
        'contracts, erp-id',
        '--json',
        '--config-dir',
        dir,
      ],
      { now: NOW },
    );

    expect(result.code).toBe(0);
    expect(result.json()).toEqual({
      created: true,
      id: CREATED.id,
      collection: 'contracts',
      destinationUrl: URL,
      key: CREATED.key,
      // Times in JSON are UTC, whatever offset Protime used.
      validUntil: '2026-07-01T12:00:00.000Z',
      status: 'Enabled',
      externalReferences: [
        { collection: 'people', reference: '@employee-number' },
        { collection: 'contracts', reference: 'erp-id' },
      ],
      // Lifetime 30 days minus 2 h: the window is the 7-day cap.
      renewAfter: '2026-06-24T12:00:00.000Z',
      deployed: null,
      hookErrors: [],
    });
    const record = (await backend.read()).subscriptions.default![CREATED.id]!;
    expect(record).toMatchObject({ key: CREATED.key, collection: 'contracts', createdAt: NOW.toISOString(), raw: CREATED });
    expect(record.externalReferences).toEqual([
      ['people', '@employee-number'],
      ['contracts', 'erp-id'],
    ]);
    expect(result.stderr).toContain('Protime shows this key only once');
  });

  it('prints readable fields for people', async () => {
    const { dir } = backend;
    await backend.seed();
    mockList([]);
    mockCreate();
    const result = await backend.run(['subscribe', 'contracts', '--url', URL, '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatchInlineSnapshot(`
      "id           b1c2d3e4-0000-4000-8000-00000000000a
      collection   contracts
      destination  https://hooks.example.com/protime
      key          webhook-key-Zm9vYmFyYmF6cXV4
      valid until  2026-07-01T12:00:00.000Z (30d left)
      renew after  2026-06-24T12:00:00.000Z
      "
    `);
  });

  it('is idempotent: an enabled subscription to the same URL is shown, not created again', async () => {
    const { dir } = backend;
    const record = makeRecord({ destinationUrl: URL });
    await backend.seed({ records: [record] });
    mockList([makeWebhook({ id: record.id, destinationUrl: 'https://HOOKS.example.com:443/protime' })]);
    const result = await backend.run(['subscribe', 'contracts', '--url', URL, '--json', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({ created: false, id: record.id, key: record.key });
    expect(result.stderr).toContain('already exists');
  });

  it("creates its own when only another profile's or tool's webhook serves the destination, and leaves that one alone", async () => {
    const { dir } = backend;
    await backend.seed();
    const foreign = makeWebhook({ destinationUrl: URL });
    mockList([foreign]);
    mockCreate();
    const result = await backend.run(['subscribe', 'contracts', '--url', URL, '--json', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({ created: true, id: CREATED.id, key: CREATED.key });
    expect(result.stderr).toContain('Another profile or tool also sends contracts to this URL');
    expect((await backend.read()).subscriptions.default![foreign.id]).toBeUndefined();
  });

  it('is idempotent on collection, destination and external references; other references are a usage error unless --force', async () => {
    const { dir } = backend;
    const ours = makeRecord({ id: 'ours-1', destinationUrl: URL, externalReferences: [['people', '@employee-number']] });
    await backend.seed({ records: [ours] });
    mockList([makeWebhook({ id: 'ours-1', destinationUrl: URL })]);
    const same = await backend.run(
      ['subscribe', 'contracts', '--url', URL, '--external-ref', 'people,@employee-number', '--json', '--config-dir', dir],
      {
        now: NOW,
      },
    );
    expect(same.code).toBe(0);
    expect(same.json()).toMatchObject({ created: false, id: 'ours-1' });

    mockList([makeWebhook({ id: 'ours-1', destinationUrl: URL })]);
    const other = await backend.run(['subscribe', 'contracts', '--url', URL, '--json', '--config-dir', dir], { now: NOW });
    expect(other.code).toBe(2);
    expect(other.json().error).toMatchObject({ code: 'different-external-references' });
    expect(other.json().error.message).toContain('people,@employee-number');

    mockList([makeWebhook({ id: 'ours-1', destinationUrl: URL })]);
    mockCreate();
    const forced = await backend.run(['subscribe', 'contracts', '--url', URL, '--force', '--json', '--config-dir', dir], { now: NOW });
    expect(forced.code).toBe(0);
    expect(forced.json()).toMatchObject({ created: true, id: CREATED.id });
  });

  it('replaces a keyless leftover of an interrupted subscribe instead of reporting it as existing', async () => {
    const { dir } = backend;
    const orphan = makeRecord({ id: 'orphan-1', destinationUrl: URL, key: null, adopted: true });
    await backend.seed({ records: [orphan] });
    mockList([makeWebhook({ id: 'orphan-1', destinationUrl: URL })]);
    mockCreate();
    api().delete(`${API_PATH}/webhooks/orphan-1`).reply(204);
    const result = await backend.run(['subscribe', 'contracts', '--url', URL, '--json', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({ created: true, id: CREATED.id, key: CREATED.key });
    const records = (await backend.read()).subscriptions.default!;
    expect(records['orphan-1']).toMatchObject({ key: null });
    expect(records['orphan-1']!.deletedAt).toBe(NOW.toISOString());
    expect(result.stderr).toContain('Deleted webhook orphan-1');
  });

  it('does not count a replaced webhook kept until expiry as the existing subscription', async () => {
    const { dir } = backend;
    const old = makeRecord({ id: 'old-1', destinationUrl: URL, replacedBy: 'gone', keepOld: true });
    await backend.seed({ records: [old] });
    mockList([makeWebhook({ id: 'old-1', destinationUrl: URL })]);
    mockCreate();
    const result = await backend.run(['subscribe', 'contracts', '--url', URL, '--json', '--config-dir', dir], { now: NOW });
    expect(result.json()).toMatchObject({ created: true, id: CREATED.id });
  });

  it('--force creates another even when one exists', async () => {
    const { dir } = backend;
    const record = makeRecord({ destinationUrl: URL });
    await backend.seed({ records: [record] });
    mockList([makeWebhook({ id: record.id, destinationUrl: URL })]);
    mockCreate();
    const result = await backend.run(['subscribe', 'contracts', '--url', URL, '--force', '--json', '--config-dir', dir], { now: NOW });
    expect(result.json()).toMatchObject({ created: true, id: CREATED.id });
  });

  it('--dry-run shows the request and sends nothing', async () => {
    const { dir } = backend;
    await backend.seed();
    mockList([]);
    const result = await backend.run(
      ['subscribe', 'people', '--url', URL, '--external-ref', 'people,@badge-number', '--dry-run', '--json', '--config-dir', dir],
      { now: NOW },
    );
    expect(result.code).toBe(0);
    expect(result.json()).toEqual({
      dryRun: true,
      request: {
        method: 'POST',
        url: `${API_ORIGIN}${API_PATH}/webhooks`,
        query: { externalReferences: '(people,@badge-number)' },
        body: { destinationUrl: URL, collectionName: 'people' },
      },
    });
    expect((await backend.read()).subscriptions).toEqual({});
  });

  it('--dry-run decides as the real run: an identical subscription is reported, with no POST, as the real run reports it', async () => {
    const { dir } = backend;
    const ours = makeRecord({ id: 'ours-1', destinationUrl: URL, externalReferences: [['people', '@employee-number']] });
    const store = await backend.seed({ records: [ours] });
    const before = await store.read();
    const listed = [makeWebhook({ id: 'ours-1', destinationUrl: URL })];
    const argv = ['subscribe', 'contracts', '--url', URL, '--external-ref', 'people,@employee-number', '--config-dir', dir];
    const caught = writesCaught();

    mockList(listed);
    const dry = await backend.run([...argv, '--dry-run', '--json'], { now: NOW });
    mockList(listed);
    const real = await backend.run([...argv, '--json'], { now: NOW });
    mockList(listed);
    const human = await backend.run([...argv, '--dry-run'], { now: NOW });

    expect(dry.code).toBe(0);
    expect(dry.json()).toEqual({ ...real.json(), dryRun: true });
    expect(dry.json()).toMatchObject({ created: false, id: 'ours-1' });
    expect(dry.json().request).toBeUndefined();
    expect(dry.stderr).toContain('already exists; nothing was created');
    expect(human.stdout).toBe('already subscribed: ours-1\n');
    expect(caught).toEqual([]);
    expect(await store.read()).toEqual(before);
  });

  it('--dry-run refuses other external references as the real run does (exit 2), and shows the POST with --force', async () => {
    const { dir } = backend;
    const ours = makeRecord({ id: 'ours-1', destinationUrl: URL, externalReferences: [['people', '@employee-number']] });
    await backend.seed({ records: [ours] });
    const caught = writesCaught();
    mockList([makeWebhook({ id: 'ours-1', destinationUrl: URL })]);
    const refused = await backend.run(['subscribe', 'contracts', '--url', URL, '--dry-run', '--json', '--config-dir', dir], { now: NOW });
    expect(refused.code).toBe(2);
    expect(refused.json().error).toMatchObject({ code: 'different-external-references' });

    mockList([makeWebhook({ id: 'ours-1', destinationUrl: URL })]);
    const forced = await backend.run(['subscribe', 'contracts', '--url', URL, '--dry-run', '--force', '--json', '--config-dir', dir], {
      now: NOW,
    });
    expect(forced.code).toBe(0);
    expect(forced.json()).toMatchObject({ dryRun: true, request: { method: 'POST', body: { destinationUrl: URL } } });
    expect(caught).toEqual([]);
  });

  it('--dry-run settles an open intent only in memory: it says the leftover would be deleted, and writes nothing', async () => {
    const { dir } = backend;
    const store = await backend.seed();
    await store.update((data) => {
      data.intents = {
        default: [openIntent()],
      };
    });
    const before = await store.read();
    const caught = writesCaught();
    mockList([makeWebhook({ id: 'leftover-1', destinationUrl: URL })]);
    const result = await backend.run(['subscribe', 'contracts', '--url', URL, '--dry-run', '--json', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({ dryRun: true, request: { method: 'POST' } });
    expect(result.stderr).toContain('A real run would then delete webhook leftover-1');
    expect(result.stderr).not.toContain('Another profile or tool');
    expect(caught).toEqual([]);
    expect(await store.read()).toEqual(before);
  });

  it('rejects an unknown collection with a suggestion and the valid list (exit 2)', async () => {
    const result = await backend.run(['subscribe', 'contract', '--url', URL, '--config-dir', backend.dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Unknown collection "contract". Did you mean "contracts"?');
    expect(result.stderr).toContain('work-interruptions');
  });

  it.each([
    ['http://hooks.example.com/x', 'must use https'],
    ['hooks.example.com/x', 'absolute URL'],
    ['https://user:pw@hooks.example.com/x', 'user name or password'],
  ])('rejects the destination %s (exit 2)', async (url, message) => {
    const result = await backend.run(['subscribe', 'contracts', '--url', url, '--config-dir', backend.dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });

  it('accepts plain http for loopback destinations', async () => {
    const { dir } = backend;
    await backend.seed();
    mockList([]);
    const result = await backend.run(
      ['subscribe', 'contracts', '--url', 'http://127.0.0.1:8787/', '--dry-run', '--json', '--config-dir', dir],
      {
        now: NOW,
      },
    );
    expect(result.code).toBe(0);
    expect(result.json().request.body.destinationUrl).toBe('http://127.0.0.1:8787/');
  });

  it('rejects a malformed --external-ref (exit 2)', async () => {
    const result = await backend.run(['subscribe', 'contracts', '--url', URL, '--external-ref', 'people', '--config-dir', backend.dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('<collection>,<reference>');
  });

  it('takes the key from privateKey and the id from Location when the body has no id', async () => {
    const { dir } = backend;
    await backend.seed();
    mockList([]);
    const { id: _id, key: _key, ...rest } = CREATED;
    mockCreate({ body: { ...rest, privateKey: 'private-key-abcdef' } });
    const result = await backend.run(['subscribe', 'contracts', '--url', URL, '--force', '--json', '--config-dir', dir], { now: NOW });
    expect(result.json()).toMatchObject({ id: CREATED.id, key: 'private-key-abcdef' });
  });

  it('takes no id from a Location on another origin: exit 1, the answer saved, the intent kept open for status to settle', async () => {
    const { dir } = backend;
    await backend.seed();
    mockList([]);
    const { id: _id, ...rest } = CREATED;
    mockCreate({ body: rest, headers: { location: `https://evil.example${API_PATH}/webhooks/${CREATED.id}` } });
    const result = await backend.run(['subscribe', 'contracts', '--url', URL, '--json', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(1);
    const error = result.json().error;
    expect(error.code).toBe('unreadable-create-answer');
    expect(error.message).toContain('is on https://evil.example, not on the API');
    expect(error.hint).toContain('unreadableAnswers');
    const data = (await backend.read()) as StoreData & { unreadableAnswers?: unknown[] };
    expect(data.subscriptions.default?.[CREATED.id]).toBeUndefined();
    expect(data.intents?.default).toHaveLength(1);
    expect(data.unreadableAnswers).toEqual([{ profile: 'default', receivedAt: NOW.toISOString(), body: rest }]);
    expect(result.stdout).not.toContain(CREATED.key);
  });

  it('saves the raw answer and fails when no key can be found in it', async () => {
    const { dir } = backend;
    await backend.seed();
    mockList([]);
    const { key: _key, ...rest } = CREATED;
    mockCreate({ body: { ...rest, signingMaterial: 'abc' } });
    const result = await backend.run(['subscribe', 'contracts', '--url', URL, '--force', '--json', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(1);
    expect(result.json().error.code).toBe('no-key-in-answer');
    const record = (await backend.read()).subscriptions.default![CREATED.id]!;
    expect(record.key).toBeNull();
    expect(record.raw).toMatchObject({ signingMaterial: 'abc' });
  });

  it('never retries a create that timed out, and says a webhook may exist (exit 75)', async () => {
    const { dir } = backend;
    await backend.seed();
    mockList([]);
    api().post(`${API_PATH}/webhooks`).delay(3000).reply(201, CREATED);
    const result = await backend.run(['subscribe', 'contracts', '--url', URL, '--force', '--json', '--config-dir', dir], {
      now: NOW,
      env: { PROTIME_HOOKS_TIMEOUT: '0.2' },
    });
    expect(result.code).toBe(75);
    expect(result.json().error.code).toBe('create-timeout');
    expect(result.json().error.message).toContain('may have been created');
    expect(result.json().error.hint).toContain('protime-hooks status');
    expect(result.sleeps).toEqual([]);
  });

  it('retries a create answered 429 after Retry-After, then stores it', async () => {
    const { dir } = backend;
    await backend.seed();
    mockList([]);
    api()
      .post(`${API_PATH}/webhooks`)
      .reply(429, { error: { code: 'TooManyRequests', message: 'slow down' } }, { 'retry-after': '7' });
    mockCreate();
    const result = await backend.run(['subscribe', 'contracts', '--url', URL, '--force', '--json', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(0);
    expect(result.sleeps).toEqual([7000]);
  });

  it('names the collection read scope on a 403 (exit 4)', async () => {
    const { dir } = backend;
    await backend.seed();
    mockList([]);
    mockCreate({ status: 403, body: { error: { code: 'Forbidden', message: 'Insufficient scope', reasons: ['scope'] } } });
    const result = await backend.run(['subscribe', 'contracts', '--url', URL, '--force', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('connector-protimeapi-contracts.read');
    expect(result.stderr).toContain('Insufficient scope');
  });

  it('shows Protime validation reasons on a 400 (exit 1)', async () => {
    const { dir } = backend;
    await backend.seed();
    mockList([]);
    mockCreate({
      status: 400,
      body: { error: { code: 'BadRequest', message: 'Invalid webhook', reasons: ['destinationUrl is not reachable'] } },
    });
    const result = await backend.run(['subscribe', 'contracts', '--url', URL, '--force', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Protime answered 400 BadRequest while creating the webhook: Invalid webhook');
    expect(result.stderr).toContain('  - destinationUrl is not reachable');
  });

  it('exits 4 when not logged in', async () => {
    const { dir } = backend;
    await backend.seed({ loggedIn: false });
    const result = await backend.run(['subscribe', 'contracts', '--url', URL, '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('is not logged in');
  });

  it('keeps the key out of --debug traces', async () => {
    const { dir } = backend;
    await backend.seed();
    mockList([]);
    mockCreate();
    const result = await backend.run(['subscribe', 'contracts', '--url', URL, '--force', '--debug', '--json', '--config-dir', dir], {
      now: NOW,
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`POST ${API_ORIGIN}${API_PATH}/webhooks -> 201`);
    expect(result.stderr).not.toContain(CREATED.key);
    expect(result.stderr).not.toContain('access-token-0b1c2d3e');
    expect(nock.isDone()).toBe(true);
  });

  it('keeps a key under an undocumented field name out of --debug traces too', async () => {
    const { dir } = backend;
    await backend.seed();
    mockList([]);
    const { key: _key, ...rest } = CREATED;
    mockCreate({ body: { ...rest, signingSecretV2: 'undocumented-key-material-42' } });
    const result = await backend.run(['subscribe', 'contracts', '--url', URL, '--force', '--debug', '--json', '--config-dir', dir], {
      now: NOW,
    });
    // No known key field: the command fails, keeps the raw answer, and the trace shows the field name only.
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('"signingSecretV2":"[redacted]"');
    expect(result.stderr).toContain(`"id":"${CREATED.id}"`);
    expect(result.stderr).not.toContain('undocumented-key-material-42');
    expect(result.stdout).not.toContain('undocumented-key-material-42');
  });
});
