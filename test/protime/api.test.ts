import { describe, expect, it } from 'vitest';
import {
  createWebhook,
  deleteWebhook,
  formatExternalReferences,
  getWebhook,
  IncompleteCreateError,
  listWebhooks,
} from '../../src/protime/api.js';
import { API_BASE, API_ORIGIN, API_ROOT, api, cliError, clientWithToken, makeCreated, makeWebhook, SECRET, settings } from './factories.js';

const WEBHOOKS = `${API_BASE}/webhooks`;
const client = () => clientWithToken(settings());
const input = {
  collection: 'contracts',
  destinationUrl: 'https://hooks.example.com/protime',
  externalReferences: [] as [string, string][],
};

/** Awaits a promise that must reject with an IncompleteCreateError. */
async function incomplete(promise: Promise<unknown>): Promise<IncompleteCreateError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(IncompleteCreateError);
  return error as IncompleteCreateError;
}

describe('createWebhook', () => {
  it('posts destinationUrl and collectionName and returns id, key, validUntil, status and the raw body', async () => {
    let sent: unknown;
    const created = makeCreated();
    api()
      .post(WEBHOOKS, (body) => {
        sent = body;
        return true;
      })
      .matchHeader('content-type', 'application/json')
      .reply(201, created, { Location: `${API_ROOT}/webhooks/${created.id as string}` });
    const result = await createWebhook(client(), input);
    expect(sent).toEqual({ destinationUrl: 'https://hooks.example.com/protime', collectionName: 'contracts' });
    expect(result).toEqual({
      id: created.id,
      key: SECRET.webhookKey,
      validUntil: '2025-06-30T12:00:00+02:00',
      status: 'Enabled',
      raw: created,
    });
  });

  it('sends externalReferences as one query value, pairs back to back', async () => {
    api().post(WEBHOOKS).query({ externalReferences: '(people,@employee-number)(contracts,my-ref)' }).reply(201, makeCreated());
    const result = await createWebhook(client(), {
      ...input,
      externalReferences: [
        ['people', '@employee-number'],
        ['contracts', 'my-ref'],
      ],
    });
    expect(result.key).toBe(SECRET.webhookKey);
    expect(formatExternalReferences([['people', '@badge-number']])).toBe('(people,@badge-number)');
  });

  it.each(['key', 'privateKey', 'webhookKey', 'secret'])('reads the key from `%s`', async (field) => {
    api()
      .post(WEBHOOKS)
      .reply(201, makeCreated({ key: undefined, [field]: 'the-key-value' }));
    expect((await createWebhook(client(), input)).key).toBe('the-key-value');
  });

  it('takes the first key field present, in the order key, privateKey, webhookKey, secret', async () => {
    api()
      .post(WEBHOOKS)
      .reply(201, makeCreated({ key: '', secret: 'from-secret', privateKey: 'from-private-key', webhookKey: 'from-webhook-key' }));
    expect((await createWebhook(client(), input)).key).toBe('from-private-key');
  });

  it('gives key null, keeping the raw body, when no known key field is there', async () => {
    const created = makeCreated({ key: undefined, signingMaterial: 'abc' });
    api().post(WEBHOOKS).reply(201, created);
    const result = await createWebhook(client(), input);
    expect(result.key).toBeNull();
    expect(result.raw).toEqual(JSON.parse(JSON.stringify(created)));
  });

  it('takes the id from the Location header when the body has none', async () => {
    api()
      .post(WEBHOOKS)
      .reply(201, makeCreated({ id: undefined }), { Location: `${API_ROOT}/webhooks/c0ffee00-1111-4222-8333-444455556666?api-version=1` });
    expect((await createWebhook(client(), input)).id).toBe('c0ffee00-1111-4222-8333-444455556666');
  });

  it.each([
    ['an absolute URL', `${API_ROOT}/webhooks/w-abs`, 'w-abs'],
    ['a server-relative path', `${API_BASE}/webhooks/w-rel`, 'w-rel'],
    ['a path relative to the request', 'webhooks/w-req', 'w-req'],
    ['a percent-encoded id', `${API_ROOT}/webhooks/w%2D1%7E`, 'w-1~'],
  ])('takes the id from a Location on the API origin given as %s', async (_label, location, id) => {
    api()
      .post(WEBHOOKS)
      .reply(201, makeCreated({ id: undefined }), { Location: location });
    expect((await createWebhook(client(), input)).id).toBe(id);
  });

  it('prefers the body id to the Location header, wherever Location points', async () => {
    api()
      .post(WEBHOOKS)
      .reply(201, makeCreated({ id: 'from-body' }), { Location: 'https://evil.example/webhooks/from-location' });
    expect((await createWebhook(client(), input)).id).toBe('from-body');
  });

  it.each([
    ['another origin', 'https://evil.example/connector/protimeapi/api/v1/webhooks/w1', 'is on https://evil.example, not on the API'],
    ['another port', 'https://acme.myprotime.eu:8443/connector/protimeapi/api/v1/webhooks/w1', 'not on the API'],
    ['another path', `${API_ORIGIN}/other/webhooks/w1`, `does not name a webhook under ${API_BASE}/webhooks/`],
    ['the list itself', `${API_ROOT}/webhooks/`, 'does not name a webhook under'],
    ['a deeper path', `${API_ROOT}/webhooks/w1/deliveries`, 'does not name a webhook under'],
    ['a dot-segment escape', `${API_ROOT}/webhooks/%2e%2e/%2e%2e/w1`, 'does not name a webhook under'],
    ['an encoded slash', `${API_ROOT}/webhooks/a%2Fb`, 'does not name a webhook id we accept'],
    ['a prototype name', `${API_ROOT}/webhooks/__proto__`, 'does not name a webhook id we accept'],
    ['a broken escape', `${API_ROOT}/webhooks/w%zz`, 'does not name a webhook id we accept'],
  ])('takes no id from a Location on %s: an IncompleteCreateError says why', async (_label, location, expected) => {
    const created = makeCreated({ id: undefined });
    api().post(WEBHOOKS).reply(201, created, { Location: location });
    const error = await incomplete(createWebhook(client(), input));
    expect(error.problem).toContain('the answer had no `id` and its Location header (');
    expect(error.problem).toContain(expected);
    expect(error.raw).toEqual(JSON.parse(JSON.stringify(created)));
  });

  it('keeps an unknown status, and assumes Enabled when none is given', async () => {
    api()
      .post(WEBHOOKS)
      .reply(201, makeCreated({ status: 'Uninitialized' }));
    api()
      .post(WEBHOOKS)
      .reply(201, makeCreated({ status: undefined }));
    expect((await createWebhook(client(), input)).status).toBe('Uninitialized');
    expect((await createWebhook(client(), input)).status).toBe('Enabled');
  });

  it('throws IncompleteCreateError with the raw body when there is neither id nor Location', async () => {
    const created = makeCreated({ id: undefined });
    api().post(WEBHOOKS).reply(201, created);
    const error = await incomplete(createWebhook(client(), input));
    expect(error.problem).toBe('the answer named no webhook id (no `id` field, no Location header)');
    expect(error.raw).toEqual(JSON.parse(JSON.stringify(created)));
  });

  it('throws IncompleteCreateError naming validUntil when it is missing or unreadable', async () => {
    api()
      .post(WEBHOOKS)
      .reply(201, makeCreated({ validUntil: 'next tuesday' }));
    const error = await incomplete(createWebhook(client(), input));
    expect(error.problem).toBe('the answer could not be read (validUntil: expected an ISO 8601 date-time with an offset)');
    expect(error.raw).toMatchObject({ key: SECRET.webhookKey });
  });

  it('names the collection read scope on a 403', async () => {
    api()
      .post(WEBHOOKS)
      .reply(403, { error: { code: 'Forbidden' } });
    const error = await cliError(createWebhook(client(), input));
    expect(error.exitCode).toBe(4);
    expect(error.hint).toContain('connector-protimeapi-contracts.read');
  });

  it('names the collection read scope on a 401 that survives a token refresh (some Protime pages use 401 for a missing scope)', async () => {
    api()
      .post(WEBHOOKS)
      .times(2)
      .reply(401, { error: { code: 'Unauthorized' } });
    const error = await cliError(createWebhook(client(), input));
    expect(error.exitCode).toBe(4);
    expect(error.code).toBe('unauthorized');
    expect(error.hint).toContain('protime-hooks login');
    expect(error.hint).toContain('connector-protimeapi-contracts.read');
  });

  it('says what was wrong when the id has the wrong type', async () => {
    api()
      .post(WEBHOOKS)
      .reply(201, makeCreated({ id: 42 }));
    const error = await incomplete(createWebhook(client(), input));
    expect(error.problem).toBe('the answer could not be read (id: Invalid input: expected string, received number)');
  });

  it('reports a 400 with its reasons', async () => {
    api()
      .post(WEBHOOKS)
      .reply(400, { error: { code: 'BadRequest', message: 'Invalid request', reasons: ['Unknown collection foo'] } });
    const error = await cliError(createWebhook(client(), { ...input, collection: 'foo' }));
    expect(error.code).toBe('bad-request');
    expect(error.reasons).toEqual(['Unknown collection foo']);
  });
});

describe('listWebhooks', () => {
  it('returns the webhooks, tolerating unknown fields and unknown status values', async () => {
    const hooks = [
      makeWebhook({ status: 'Uninitialized', somethingNew: { a: 1 } }),
      makeWebhook({ id: 'w2', status: 'Disabled', externalReferences: { people: '@badge-number' } }),
    ];
    api().get(WEBHOOKS).reply(200, { value: hooks, '@odata.context': 'x' });
    expect(await listWebhooks(client())).toEqual({ webhooks: hooks, unreadable: [] });
  });

  it('passes the filter on the first page only, then follows nextLink, past empty pages', async () => {
    api()
      .get(WEBHOOKS)
      .query({ filter: "status eq 'Disabled'" })
      .reply(200, { value: [makeWebhook({ id: 'w1' })], nextLink: `${API_ROOT}/webhooks?page=2` });
    api()
      .get(WEBHOOKS)
      .query({ page: '2' })
      .reply(200, { value: [], nextLink: `${API_ROOT}/webhooks?page=3` });
    api()
      .get(WEBHOOKS)
      .query({ page: '3' })
      .reply(200, { value: [makeWebhook({ id: 'w3' })], nextLink: null });
    const hooks = await listWebhooks(client(), { filter: "status eq 'Disabled'" });
    expect(hooks.webhooks.map((hook) => hook.id)).toEqual(['w1', 'w3']);
  });

  it('follows a nextLink relative to the API root', async () => {
    api().get(WEBHOOKS).reply(200, { value: [], nextLink: 'webhooks?page=2' });
    api()
      .get(WEBHOOKS)
      .query({ page: '2' })
      .reply(200, { value: [makeWebhook({ id: 'w2' })] });
    expect((await listWebhooks(client())).webhooks.map((hook) => hook.id)).toEqual(['w2']);
  });

  it('stops with a clear error when a nextLink repeats', async () => {
    api()
      .get(WEBHOOKS)
      .reply(200, { value: [], nextLink: `${API_ROOT}/webhooks?page=2` });
    api()
      .get(WEBHOOKS)
      .query({ page: '2' })
      .reply(200, { value: [], nextLink: `${API_ROOT}/webhooks?page=2` });
    const error = await cliError(listWebhooks(client()));
    expect(error.code).toBe('paging-loop');
    expect(error.message).toContain('webhooks?page=2');
  });

  it.each([
    ['without a filter', undefined, `${API_ROOT}/webhooks`],
    ['with a filter, spelled differently', "status eq 'Disabled'", `${API_ROOT}/webhooks?filter=status%20eq%20%27Disabled%27`],
  ])('detects a nextLink back to the first page without reading it twice (%s)', async (_label, filter, nextLink) => {
    api()
      .get(WEBHOOKS)
      .query(filter ? { filter } : {})
      .reply(200, { value: [makeWebhook()], nextLink });
    const error = await cliError(listWebhooks(client(), { filter }));
    expect(error.code).toBe('paging-loop');
  });

  it('refuses a nextLink to another host, sending it nothing', async () => {
    api().get(WEBHOOKS).reply(200, { value: [], nextLink: 'https://evil.example/webhooks?page=2' });
    const error = await cliError(listWebhooks(client()));
    expect(error.code).toBe('foreign-link');
  });

  it.each([
    [
      'a bad validUntil',
      makeWebhook({ id: 'bad-1', validUntil: '31/03/2025' }),
      'bad-1',
      'validUntil: expected an ISO 8601 date-time with an offset',
    ],
    [
      'a validUntil without offset',
      makeWebhook({ id: 'bad-2', validUntil: '2025-03-31T12:30:00' }),
      'bad-2',
      'validUntil: expected an ISO 8601',
    ],
    ['a missing status', makeWebhook({ id: 'bad-3', status: undefined }), 'bad-3', 'status: '],
    ['a missing id', makeWebhook({ id: undefined }), null, 'id: '],
    ['an empty id', makeWebhook({ id: '' }), null, 'id: '],
    ['a numeric id', makeWebhook({ id: 42 as unknown as string }), null, 'id: '],
    ['a string instead of an object', 'w9', null, 'expected object'],
    ['null', null, null, 'expected object'],
  ])('skips an item with %s, keeps the others, and reports its id (or place) and problem', async (_label, bad, id, problem) => {
    const good = [makeWebhook({ id: 'good-1' }), makeWebhook({ id: 'good-2' })];
    api()
      .get(WEBHOOKS)
      .reply(200, { value: [good[0], bad], nextLink: `${API_ROOT}/webhooks?page=2` });
    api()
      .get(WEBHOOKS)
      .query({ page: '2' })
      .reply(200, { value: [good[1]] });
    const list = await listWebhooks(client());
    expect(list.webhooks.map((hook) => hook.id)).toEqual(['good-1', 'good-2']);
    expect(list.unreadable).toEqual([{ id, page: 1, index: 1, problem: expect.stringContaining(problem) }]);
  });

  it('names the place of each unreadable item across pages', async () => {
    api()
      .get(WEBHOOKS)
      .reply(200, { value: [], nextLink: `${API_ROOT}/webhooks?page=2` });
    api()
      .get(WEBHOOKS)
      .query({ page: '2' })
      .reply(200, { value: [makeWebhook(), makeWebhook(), makeWebhook({ id: 'x\u001b[2Jy', collectionName: undefined })] });
    const list = await listWebhooks(client());
    expect(list.webhooks).toHaveLength(2);
    // Kept as received: whoever prints it escapes it (and matches it against records unchanged).
    expect(list.unreadable).toEqual([{ id: 'x\u001b[2Jy', page: 2, index: 2, problem: expect.stringMatching(/^collectionName: /) }]);
  });

  it.each([
    ['no value array', { items: [] }, 'value: '],
    ['a value that is not an array', { value: { id: 'w1' } }, 'value: '],
    ['a nextLink that is not a string', { value: [], nextLink: 7 }, 'nextLink: '],
    ['an array for a page', ['w1'], 'Invalid input: expected object, received array'],
  ])('turns a page with %s into a clear bad-response error naming the field', async (_label, body, expected) => {
    api().get(WEBHOOKS).reply(200, body);
    const error = await cliError(listWebhooks(client()));
    expect(error.kind).toBe('failure');
    expect(error.code).toBe('bad-response');
    expect(error.message).toContain(`Unexpected answer to GET /webhooks: ${expected}`);
    expect(error.hint).toContain('--api-url');
  });

  it('turns an HTML page with status 200 into a clear error', async () => {
    api().get(WEBHOOKS).reply(200, '<html><title>Login</title></html>', { 'content-type': 'text/html' });
    const error = await cliError(listWebhooks(client()));
    expect(error.code).toBe('bad-response');
  });
});

describe('getWebhook', () => {
  it('reads one webhook, escaping the id in the path', async () => {
    api()
      .get(`${WEBHOOKS}/a%2Fb`)
      .reply(200, makeWebhook({ id: 'a/b', status: 'Uninitialized' }));
    expect(await getWebhook(client(), 'a/b')).toMatchObject({ id: 'a/b', status: 'Uninitialized' });
  });

  it('maps an unknown id to a not-found failure', async () => {
    api()
      .get(`${WEBHOOKS}/nope`)
      .reply(404, { error: { code: 'NotFound', message: 'Webhook not found' } });
    const error = await cliError(getWebhook(client(), 'nope'));
    expect(error.code).toBe('not-found');
    expect(error.message).toBe('Protime answered 404 NotFound while reading webhook nope: Webhook not found');
  });

  it('names the broken field', async () => {
    api()
      .get(`${WEBHOOKS}/w1`)
      .reply(200, makeWebhook({ id: 'w1', collectionName: 7 }));
    const error = await cliError(getWebhook(client(), 'w1'));
    expect(error.message).toMatch(/^Unexpected answer to GET \/webhooks\/w1: collectionName: /);
  });
});

describe('deleteWebhook', () => {
  it.each([
    ['an empty 200', 200],
    ['a 204', 204],
  ])('accepts %s', async (_label, status) => {
    const scope = api().delete(`${WEBHOOKS}/w1`).reply(status);
    await deleteWebhook(client(), 'w1');
    expect(scope.isDone()).toBe(true);
  });

  it('retries a 503 and then succeeds', async () => {
    api().delete(`${WEBHOOKS}/w1`).reply(503);
    api().delete(`${WEBHOOKS}/w1`).reply(204);
    const http = settings();
    await deleteWebhook(clientWithToken(http), 'w1');
    expect(http.delays).toEqual([100]);
  });

  it.each(['', '.', '..'])('refuses the id %j, which would address the list or the API root, sending nothing', async (id) => {
    const error = await cliError(deleteWebhook(client(), id));
    expect(error.kind).toBe('usage');
    expect(error.code).toBe('bad-webhook-id');
    expect((await cliError(getWebhook(client(), id))).code).toBe('bad-webhook-id');
  });

  it('maps a 404 to not-found', async () => {
    api().delete(`${WEBHOOKS}/w1`).reply(404);
    expect((await cliError(deleteWebhook(client(), 'w1'))).code).toBe('not-found');
  });
});
