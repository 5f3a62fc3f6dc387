import { randomUUID } from 'node:crypto';
import nock from 'nock';
import { FileStore } from '../../src/state/file-store.js';
import type { SubscriptionRecord } from '../../src/state/schemas.js';
import type { Store } from '../../src/state/store.js';

export const TENANT = 'acme';
export const API_ORIGIN = 'https://acme.myprotime.eu';
export const API_PATH = '/connector/protimeapi/api/v1';
export const AUTH_ORIGIN = 'https://authentication.myprotime.eu';
export const TOKEN_PATH = `/tenants/${TENANT}/connect/token`;
export const SCOPES = 'connector-protimeapi-webhooks.read connector-protimeapi-webhooks.write';
export const SECRET = 'client-secret-7f3a9c';
export const TOKEN = 'access-token-0b1c2d3e';
export const NOW = new Date('2026-06-01T12:00:00Z');

export interface WebhookShape {
  id: string;
  validUntil: string;
  status: string;
  destinationUrl: string;
  collectionName: string;
  externalReferences?: unknown;
}

/** A webhook as Protime lists it; override what the test is about. */
export function makeWebhook(overrides: Partial<WebhookShape> = {}): WebhookShape {
  return {
    id: randomUUID(),
    validUntil: '2026-07-01T12:00:00+00:00',
    status: 'Enabled',
    destinationUrl: 'https://hooks.example.com/protime',
    collectionName: 'contracts',
    ...overrides,
  };
}

/** A local record as subscribe stores it. */
export function makeRecord(overrides: Partial<SubscriptionRecord> = {}): SubscriptionRecord {
  return {
    id: randomUUID(),
    collection: 'contracts',
    destinationUrl: 'https://hooks.example.com/protime',
    externalReferences: [],
    key: `key-${randomUUID()}`,
    validUntil: '2026-07-01T12:00:00.000Z',
    createdAt: '2026-05-02T12:00:00.000Z',
    status: 'Enabled',
    raw: {},
    ...overrides,
  };
}

export interface SeedOptions {
  profile?: string;
  records?: SubscriptionRecord[];
  token?: boolean;
  loggedIn?: boolean;
}

/**
 * Writes a logged-in profile (with a token valid for an hour after NOW) and optional records, into
 * the file store in `dir` or into any store (a backend's, test/helpers/backends.ts).
 */
export async function seedStore<S extends Store = FileStore>(at: string | S, options: SeedOptions = {}): Promise<S> {
  const store = (typeof at === 'string' ? new FileStore(at) : at) as S;
  const profile = options.profile ?? 'default';
  await store.update((data) => {
    data.profiles[profile] = {
      tenant: TENANT,
      environment: 'production',
      apiUrl: `${API_ORIGIN}${API_PATH}`,
      tokenUrl: `${AUTH_ORIGIN}${TOKEN_PATH}`,
      clientId: 'client-1',
      userAgent: null,
      scopes: SCOPES.split(' '),
      createdAt: NOW.toISOString(),
      ...(options.loggedIn === false ? {} : { clientSecret: SECRET }),
      ...(options.token === false || options.loggedIn === false
        ? {}
        : { token: { accessToken: TOKEN, expiresAt: new Date(NOW.getTime() + 3600_000).toISOString(), scopes: SCOPES.split(' ') } }),
    };
    for (const record of options.records ?? []) {
      const records = data.subscriptions[profile] ?? {};
      records[record.id] = record;
      data.subscriptions[profile] = records;
    }
  });
  return store;
}

export function api() {
  return nock(API_ORIGIN).matchHeader('authorization', `Bearer ${TOKEN}`);
}

/** GET /webhooks answered with the given pages (each page links to the next). */
export function mockList(...pages: WebhookShape[][]) {
  const scope = api();
  pages.forEach((value, i) => {
    const path = i === 0 ? `${API_PATH}/webhooks` : `${API_PATH}/webhooks?page=${i}`;
    const nextLink = i + 1 < pages.length ? `${API_ORIGIN}${API_PATH}/webhooks?page=${i + 1}` : undefined;
    scope.get(path).reply(200, { value, ...(nextLink ? { nextLink } : {}) });
  });
  return scope;
}

export function mockToken(reply: { status?: number; body?: unknown } = {}) {
  return nock(AUTH_ORIGIN)
    .post(TOKEN_PATH, (body) => body.grant_type === 'client_credentials')
    .reply(
      reply.status ?? 200,
      (reply.body ?? { access_token: TOKEN, expires_in: 1800, token_type: 'Bearer', scope: SCOPES }) as nock.Body,
    );
}

/** Records every POST or DELETE no other mock took (answered 500): the test then asserts there were none. */
export function writesCaught(): string[] {
  const caught: string[] = [];
  for (const method of ['post', 'delete'] as const) {
    api()
      [method](/.*/)
      .optionally()
      .times(Number.POSITIVE_INFINITY)
      .reply(500, (uri: string) => {
        caught.push(`${method.toUpperCase()} ${uri}`);
        return {};
      });
  }
  return caught;
}
