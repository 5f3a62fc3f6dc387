import { afterEach, describe, expect, it } from 'vitest';
import { api, closeAll, createWebhook, getToken, startTestEmulator, testClock } from './helpers.js';

afterEach(closeAll);

describe('emulator webhooks API', () => {
  it('creates a webhook: 201, Location, key and validUntil', async () => {
    const clock = testClock('2025-03-01T10:00:00Z');
    const emulator = await startTestEmulator({ now: clock.now, validitySeconds: 7 * 86_400 });
    const token = await getToken(emulator);
    const answer = await api(emulator, token, 'POST', '/webhooks', {
      destinationUrl: 'https://hooks.example.test/p',
      collectionName: 'contracts',
    });
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      key: expect.any(String),
      validUntil: '2025-03-08T10:00:00+00:00',
      status: 'Enabled',
      destinationUrl: 'https://hooks.example.test/p',
      collectionName: 'contracts',
      externalReferences: {},
      createdAt: '2025-03-01T10:00:00+00:00',
    });
    expect(Buffer.from(answer.body.key, 'base64')).toHaveLength(32);
    expect(answer.headers.get('location')).toBe(`${emulator.apiUrl}/webhooks/${answer.body.id}`);
  });

  it('parses externalReferences from the query and echoes them', async () => {
    const emulator = await startTestEmulator();
    const token = await getToken(emulator);
    const query = encodeURIComponent('(people,@employee-number)(activity-definitions,@data-entry-code)');
    const answer = await api(emulator, token, 'POST', `/webhooks?externalReferences=${query}`, {
      destinationUrl: 'http://localhost:9/x',
      collectionName: 'people',
    });
    expect(answer.status).toBe(201);
    expect(answer.body.externalReferences).toEqual({ people: '@employee-number', 'activity-definitions': '@data-entry-code' });
    const fetched = await api(emulator, token, 'GET', `/webhooks/${answer.body.id}`);
    expect(fetched.body.externalReferences).toEqual(answer.body.externalReferences);
  });

  it('answers 400 with every reason for a bad destination and collection', async () => {
    const emulator = await startTestEmulator();
    const token = await getToken(emulator);
    const answer = await api(emulator, token, 'POST', '/webhooks?externalReferences=people', {
      destinationUrl: 'ftp://x.test/',
      collectionName: 'contract',
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toEqual({
      code: 'BadRequest',
      message: 'The webhook could not be created',
      reasons: [
        "destinationUrl 'ftp://x.test/' is not an absolute http or https URL",
        "collectionName 'contract' is not a collection that supports webhooks",
        "externalReferences 'people' is not a list of (collection,reference) pairs",
      ],
    });
    const missing = await api(emulator, token, 'POST', '/webhooks', {});
    expect(missing.body.error.reasons).toEqual(['destinationUrl is required', 'collectionName is required']);
    const relative = await api(emulator, token, 'POST', '/webhooks', { destinationUrl: '/hook', collectionName: 'contracts' });
    expect(relative.status).toBe(400);
    const notJson = await api(emulator, token, 'POST', '/webhooks', '{not json');
    expect(notJson.body.error.message).toBe('The request body is not valid JSON');
  });

  it('pages the list with an absolute nextLink and never shows keys', async () => {
    const emulator = await startTestEmulator({ pageSize: 2 });
    const token = await getToken(emulator);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createWebhook(emulator, token)).id);

    const pages: string[][] = [];
    let link: string | undefined = '/webhooks';
    while (link) {
      const page = await api(emulator, token, 'GET', link);
      expect(page.status).toBe(200);
      for (const item of page.body.value) expect(item).not.toHaveProperty('key');
      pages.push(page.body.value.map((w: { id: string }) => w.id));
      link = page.body.nextLink;
      if (link) expect(link.startsWith(`${emulator.apiUrl}/webhooks?`)).toBe(true);
    }
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat()).toEqual(ids);
  });

  it('filters by status and collection, keeping the filter in nextLink', async () => {
    const emulator = await startTestEmulator({ pageSize: 1 });
    const token = await getToken(emulator);
    const contracts = await createWebhook(emulator, token, 'contracts');
    const deleted = await createWebhook(emulator, token, 'contracts');
    const people = await createWebhook(emulator, token, 'people');
    await api(emulator, token, 'DELETE', `/webhooks/${deleted.id}`);

    const list = async (filter: string) => {
      const found: string[] = [];
      let link: string | undefined = `/webhooks?filter=${encodeURIComponent(filter)}`;
      while (link) {
        const page = await api(emulator, token, 'GET', link);
        found.push(...page.body.value.map((w: { id: string }) => w.id));
        link = page.body.nextLink;
      }
      return found;
    };
    expect(await list("status eq 'Enabled'")).toEqual([contracts.id, people.id]);
    expect(await list("status eq 'Disabled'")).toEqual([deleted.id]);
    expect(await list("collectionName eq 'contracts' and status eq 'Enabled'")).toEqual([contracts.id]);
    expect(await list("collectionName eq 'people' or status eq 'Disabled'")).toEqual([deleted.id, people.id]);
  });

  it.each(['status eq Enabled', "status = 'Enabled'", "colour eq 'red'", "status eq 'Enabled' and", "(status eq 'Enabled'"])(
    'answers 400 for the malformed filter %s',
    async (filter) => {
      const emulator = await startTestEmulator();
      const token = await getToken(emulator);
      const answer = await api(emulator, token, 'GET', `/webhooks?filter=${encodeURIComponent(filter)}`);
      expect(answer.status).toBe(400);
      expect(answer.body.error).toMatchObject({ code: 'BadRequest', message: 'The filter is not valid', reasons: [expect.any(String)] });
    },
  );

  it('gets one webhook, soft-deletes it, and answers 404 for unknown ids', async () => {
    const emulator = await startTestEmulator();
    const token = await getToken(emulator);
    const created = await createWebhook(emulator, token);
    const fetched = await api(emulator, token, 'GET', `/webhooks/${created.id}`);
    expect(fetched.body).toMatchObject({ id: created.id, status: 'Enabled' });
    expect(fetched.body).not.toHaveProperty('key');

    const deleted = await api(emulator, token, 'DELETE', `/webhooks/${created.id}`);
    expect(deleted.status).toBe(204);
    expect((await api(emulator, token, 'GET', `/webhooks/${created.id}`)).body.status).toBe('Disabled');

    const unknown = '00000000-0000-4000-8000-000000000000';
    const missing = await api(emulator, token, 'GET', `/webhooks/${unknown}`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('NotFound');
    expect((await api(emulator, token, 'DELETE', `/webhooks/${unknown}`)).status).toBe(404);
  });

  it('reports a webhook Disabled once validUntil has passed on the emulator clock', async () => {
    const clock = testClock();
    const emulator = await startTestEmulator({ now: clock.now, validitySeconds: 3600, tokenTtlSeconds: 86_400 });
    const token = await getToken(emulator);
    const created = await createWebhook(emulator, token);
    clock.advance(3599);
    expect((await api(emulator, token, 'GET', `/webhooks/${created.id}`)).body.status).toBe('Enabled');
    clock.advance(1);
    expect((await api(emulator, token, 'GET', `/webhooks/${created.id}`)).body.status).toBe('Disabled');
    const disabled = await api(emulator, token, 'GET', `/webhooks?filter=${encodeURIComponent("status eq 'Disabled'")}`);
    expect(disabled.body.value.map((w: { id: string }) => w.id)).toEqual([created.id]);
  });
});
