import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { emitEvents } from '../../src/emulator/index.js';
import { api, closeAll, control, createWebhook, getToken, sleep, startReceiver, startTestEmulator, testClock, waitFor } from './helpers.js';

afterEach(closeAll);

const CHANGE_VERSION = /^[0-9A-F]{20}$/;

describe('emulator deliveries', () => {
  it('POSTs a contract event signed with HMAC-SHA256 of the raw body', async () => {
    const emulator = await startTestEmulator();
    const receiver = await startReceiver();
    const token = await getToken(emulator);
    const webhook = await createWebhook(emulator, token, 'contracts', receiver.url);

    const answer = await control(emulator, 'POST', '/events', { collectionName: 'contracts' });
    expect(answer.body).toEqual({
      emitted: 1,
      changeVersions: [expect.stringMatching(CHANGE_VERSION)],
      deliveries: [{ webhookId: webhook.id, changeVersion: expect.stringMatching(CHANGE_VERSION), attempt: 1, status: 200 }],
    });
    const body = answer.body as { changeVersions: string[]; deliveries: Array<{ changeVersion: string }> };
    expect(body.deliveries[0]!.changeVersion).toBe(body.changeVersions[0]);

    expect(receiver.received).toHaveLength(1);
    const [delivery] = receiver.received;
    const expected = createHmac('sha256', webhook.key).update(delivery!.raw).digest('base64');
    expect(delivery!.headers['x-protime-signature']).toBe(expected);
    expect(delivery!.headers['x-protime-webhook-id']).toBe(webhook.id);
    expect(delivery!.headers['content-type']).toBe('application/json');
    expect(delivery!.headers['user-agent']).toMatch(/^protime-emulator\//);
    expect(delivery!.body).toEqual({
      changeType: 'InsertOrUpdate',
      data: {
        id: expect.any(Number),
        person: { id: expect.any(Number) },
        code: expect.any(String),
        from: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
        until: expect.toSatisfy((v) => v === null || /^\d{4}-\d{2}-\d{2}$/.test(v as string)),
        contractHoursInMinutes: expect.any(Number),
        fullTimeEquivalentInMinutes: expect.any(Number),
        contractPercentage: expect.any(Number),
        numberOfWorkingDaysPerWeek: expect.any(Number),
        numberOfDaysInContractPeriod: expect.any(Number),
        kind: expect.stringMatching(/^(Contract|Addendum)$/),
        parentContract: expect.toSatisfy((v) => v === null || typeof (v as { id: unknown }).id === 'number'),
        changeVersion: answer.body.deliveries[0].changeVersion,
      },
    });
  });

  it('delivers several events in strictly increasing changeVersion order', async () => {
    const emulator = await startTestEmulator();
    const receiver = await startReceiver();
    const token = await getToken(emulator);
    await createWebhook(emulator, token, 'contracts', receiver.url);
    await control(emulator, 'POST', '/events', { collectionName: 'contracts', count: 5 });
    const versions = receiver.received.map((r) => r.body.data.changeVersion as string);
    expect(versions).toHaveLength(5);
    expect([...versions].sort()).toEqual(versions);
    expect(new Set(versions).size).toBe(5);
  });

  it('sends only to Enabled webhooks of the collection, with the given data and change type', async () => {
    const clock = testClock();
    const emulator = await startTestEmulator({ now: clock.now, validitySeconds: 100, tokenTtlSeconds: 10_000 });
    const receiver = await startReceiver();
    const token = await getToken(emulator);
    const people = await createWebhook(emulator, token, 'people', receiver.url);
    const deleted = await createWebhook(emulator, token, 'people', receiver.url);
    await createWebhook(emulator, token, 'contracts', receiver.url);
    await api(emulator, token, 'DELETE', `/webhooks/${deleted.id}`);

    const answer = await control(emulator, 'POST', '/events', { collectionName: 'people', changeType: 'Delete', data: { id: 42 } });
    expect(answer.body.deliveries.map((d: { webhookId: string }) => d.webhookId)).toEqual([people.id]);
    expect(receiver.received[0]!.body).toEqual({
      changeType: 'Delete',
      data: { id: 42, changeVersion: expect.stringMatching(CHANGE_VERSION) },
    });

    clock.advance(100); // now every webhook has expired
    const none = await control(emulator, 'POST', '/events', { collectionName: 'people' });
    expect(none.body).toEqual({ emitted: 1, changeVersions: [expect.stringMatching(CHANGE_VERSION)], deliveries: [] });
    expect(receiver.received).toHaveLength(1);
  });

  it('retries with backoff and disables the webhook after maxFailures', async () => {
    const emulator = await startTestEmulator({ maxFailures: 3, retryBaseMs: 20 });
    const receiver = await startReceiver([500]);
    const token = await getToken(emulator);
    const webhook = await createWebhook(emulator, token, 'contracts', receiver.url);

    const answer = await control(emulator, 'POST', '/events', { collectionName: 'contracts' });
    expect(answer.body.deliveries[0]).toMatchObject({ status: 500, attempt: 1 });
    await waitFor(async () => (await api(emulator, token, 'GET', `/webhooks/${webhook.id}`)).body.status === 'Disabled');
    expect(receiver.received).toHaveLength(3);
    // The same event each time, and nothing after the webhook was disabled.
    expect(new Set(receiver.received.map((r) => r.raw.toString())).size).toBe(1);
    await sleep(150);
    expect(receiver.received).toHaveLength(3);
  });

  it('resets the failure count after a successful retry', async () => {
    const emulator = await startTestEmulator({ maxFailures: 2, retryBaseMs: 10 });
    const receiver = await startReceiver([503, 200, 503, 200]);
    const token = await getToken(emulator);
    const webhook = await createWebhook(emulator, token, 'contracts', receiver.url);
    await control(emulator, 'POST', '/events', { collectionName: 'contracts' });
    await waitFor(() => receiver.received.length === 2);
    await control(emulator, 'POST', '/events', { collectionName: 'contracts' });
    await waitFor(() => receiver.received.length === 4);
    await sleep(50);
    const state = await control(emulator, 'GET', '/webhooks');
    expect(state.body[0]).toMatchObject({ id: webhook.id, status: 'Enabled', consecutiveFailures: 0 });
  });

  it('reports a network error on the first attempt', async () => {
    const emulator = await startTestEmulator({ retryBaseMs: 5000 });
    const token = await getToken(emulator);
    const gone = await startReceiver();
    await gone.close(); // a port that was just free: nothing listens there now
    await createWebhook(emulator, token, 'contracts', gone.url);
    const answer = await control(emulator, 'POST', '/events', { collectionName: 'contracts' });
    expect(answer.body.deliveries[0]).toMatchObject({ attempt: 1, error: 'fetch failed: ECONNREFUSED' });
    expect(answer.body.deliveries[0]).not.toHaveProperty('status');
  });

  it('stops pending retries on close()', async () => {
    const emulator = await startTestEmulator({ retryBaseMs: 100 });
    const receiver = await startReceiver([500]);
    const token = await getToken(emulator);
    await createWebhook(emulator, token, 'contracts', receiver.url);
    await control(emulator, 'POST', '/events', { collectionName: 'contracts' });
    await emulator.close();
    await sleep(250);
    expect(receiver.received).toHaveLength(1);
  });

  it('emitEvents() returns counts and throws on a refused request', async () => {
    const emulator = await startTestEmulator();
    const receiver = await startReceiver();
    const token = await getToken(emulator);
    await createWebhook(emulator, token, 'clockings', receiver.url);
    await createWebhook(emulator, token, 'clockings', receiver.url);
    const three = await emitEvents(emulator.url, 'clockings', 3);
    expect(three).toMatchObject({ emitted: 3, deliveries: 6 });
    // One changeVersion per event, each one more than the last.
    expect(three.changeVersions.map((v) => BigInt(`0x${v}`) - BigInt(`0x${three.changeVersions[0]}`))).toEqual([0n, 1n, 2n]);
    expect(await emitEvents(`${emulator.url}/`, 'breaks', 2, { changeType: 'Delete' })).toMatchObject({ emitted: 2, deliveries: 0 });
    await expect(emitEvents(emulator.url, 'payroll', 1)).rejects.toThrow(/HTTP 400.*'payroll' is not a collection/);
  });
});
