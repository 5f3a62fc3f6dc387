import nock from 'nock';
import { FileStore } from '../../src/state/file-store.js';
import type { Intent, StoreData, SubscriptionRecord } from '../../src/state/schemas.js';
import { API_ORIGIN, API_PATH, api, makeRecord, makeWebhook, NOW, type WebhookShape } from '../helpers/protime.js';

export const DAY = 86_400_000;
export const URL = 'https://hooks.example.com/protime';
export const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString();

/** An open subscribe intent a run left a minute before NOW (it died before recording what it made). */
export function openIntent(overrides: Partial<Intent> = {}): Intent {
  return {
    id: 'i1',
    kind: 'subscribe',
    collection: 'contracts',
    destinationUrl: URL,
    externalReferences: [],
    startedAt: at(-60_000),
    replaces: null,
    pid: 1,
    host: 'h',
    ...overrides,
  };
}

/** A keyed record two days from expiry in a 30-day lifetime: renew-due at NOW. */
export function dueRecord(overrides: Partial<SubscriptionRecord> = {}): SubscriptionRecord {
  return makeRecord({ validUntil: at(2 * DAY), createdAt: at(-28 * DAY), ...overrides });
}

/** A keyed record with 20 of 30 days left: ok at NOW. */
export function okRecord(overrides: Partial<SubscriptionRecord> = {}): SubscriptionRecord {
  return makeRecord({ validUntil: at(20 * DAY), createdAt: at(-10 * DAY), ...overrides });
}

/** The server's view of a local record. */
export function serverOf(record: SubscriptionRecord, overrides: Partial<WebhookShape> = {}): WebhookShape {
  return makeWebhook({
    id: record.id,
    validUntil: record.validUntil,
    collectionName: record.collection,
    destinationUrl: record.destinationUrl,
    status: record.status,
    ...overrides,
  });
}

export interface CreateMock {
  id: string;
  key?: string;
  collection?: string;
  destinationUrl?: string;
  /** The externalReferences query expected; none means the POST must carry no query. */
  externalReferences?: string;
  status?: number;
  body?: unknown;
  validUntil?: string;
}

/** POST /webhooks for exactly this body (and query); answers 201 with a key unless told otherwise. */
export function mockCreate(m: CreateMock) {
  const body = { destinationUrl: m.destinationUrl ?? URL, collectionName: m.collection ?? 'contracts' };
  let scope = api().post(`${API_PATH}/webhooks`, body);
  if (m.externalReferences !== undefined) scope = scope.query({ externalReferences: m.externalReferences });
  return scope.reply(
    m.status ?? 201,
    (m.body ?? {
      id: m.id,
      key: m.key ?? `key-of-${m.id}`,
      validUntil: m.validUntil ?? '2026-07-01T14:00:00+02:00',
      status: 'Enabled',
      ...body,
    }) as nock.Body,
    { location: `${API_ORIGIN}${API_PATH}/webhooks/${m.id}` },
  );
}

export function mockDelete(id: string, status = 204, times = 1) {
  return api()
    .delete(`${API_PATH}/webhooks/${id}`)
    .times(times)
    .reply(status, status === 404 ? { error: { code: 'NotFound', message: 'No such webhook' } } : undefined);
}

/**
 * Sees every DELETE a run sends (each answered 500) without requiring one, for asserting that a
 * run sent none; `stop` removes it before later runs mock their own.
 */
export function watchDeletes() {
  const paths: string[] = [];
  const interceptor = nock(API_ORIGIN)
    .persist()
    .delete(/\/webhooks\//)
    .optionally();
  interceptor.reply(500, (path) => {
    paths.push(path);
    return { error: { code: 'InternalError', message: 'watched' } };
  });
  return { paths, stop: () => nock.removeInterceptor(interceptor) };
}

/** The file store in a config dir, or any store (a backend, test/helpers/backends.ts). */
type StateAt = string | { read(): Promise<StoreData> };
const readState = (at: StateAt) => (typeof at === 'string' ? new FileStore(at) : at).read();

export async function records(at: StateAt): Promise<Record<string, SubscriptionRecord>> {
  return (await readState(at)).subscriptions.default ?? {};
}

export async function openIntents(at: StateAt) {
  return (await readState(at)).intents?.default ?? [];
}
