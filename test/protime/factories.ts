import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nock from 'nock';
import { profileTokens } from '../../src/context.js';
import { TokenProvider } from '../../src/protime/auth.js';
import { ProtimeClient } from '../../src/protime/client.js';
import type { HttpSettings } from '../../src/protime/http.js';
import { CliError } from '../../src/shared/errors.js';
import { FileStore } from '../../src/state/file-store.js';
import type { ProfileEntry } from '../../src/state/schemas.js';

export const API_ORIGIN = 'https://acme.myprotime.eu';
export const API_BASE = '/connector/protimeapi/api/v1';
export const API_ROOT = `${API_ORIGIN}${API_BASE}`;
export const AUTH_ORIGIN = 'https://authentication.myprotime.eu';
export const TOKEN_PATH = '/tenants/acme/connect/token';
export const TOKEN_URL = `${AUTH_ORIGIN}${TOKEN_PATH}`;
export const UA = 'protime-hooks-test/9.9 (Acme)';
export const SCOPES = ['connector-protimeapi-webhooks.read', 'connector-protimeapi-webhooks.write'];

/** Secrets long and distinctive enough that any leak into a trace line is found by substring. */
export const SECRET = {
  client: 'client-secret-S3cr3tValue',
  token: 'access-token-eyJhbGciOiJSUzI1NiJ9',
  token2: 'access-token-second-eyJzdWIiOiIyIn0',
  webhookKey: 'webhook-key-Qm9vbXNoYWthbGFrYQ==',
};

/** HttpSettings whose sleep records delays instead of waiting and whose trace records lines. */
export type TestSettings = HttpSettings & { delays: number[]; lines: string[] };

export function settings(overrides: Partial<HttpSettings> = {}): TestSettings {
  const delays: number[] = [];
  const lines: string[] = [];
  return {
    userAgent: UA,
    timeoutMs: 2_000,
    maxRetries: 3,
    retryBaseMs: 100,
    maxDelayMs: 10_000,
    maxBodyBytes: 10 * 1024 * 1024,
    // 0.5 makes the jitter factor exactly 1: delays are 100, 200, 400…
    random: () => 0.5,
    sleep: async (ms) => {
      delays.push(ms);
    },
    trace: (line) => lines.push(line),
    ...overrides,
    delays,
    lines,
  };
}

/** Trace lines with their run-dependent durations made stable, for snapshots. */
export function stableTrace(lines: string[]): string {
  return lines.map((line) => line.replace(/\(\d+ ms\)/g, '(N ms)')).join('\n');
}

export function makeWebhook(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'a7d853ea-0f4b-4bb2-9a47-1a7c0c6f0001',
    validUntil: '2025-03-31T12:30:00+02:00',
    status: 'Enabled',
    destinationUrl: 'https://hooks.example.com/protime',
    collectionName: 'contracts',
    ...overrides,
  };
}

/** The 201 body of POST /webhooks (its shape is a guess: see protime-api.md). */
export function makeCreated(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'b1c2d3e4-0000-4000-8000-000000000001',
    validUntil: '2025-06-30T12:00:00+02:00',
    status: 'Enabled',
    key: SECRET.webhookKey,
    ...overrides,
  };
}

export function tokenAnswer(accessToken = SECRET.token, expiresIn = 1800): Record<string, unknown> {
  return { access_token: accessToken, expires_in: expiresIn, token_type: 'Bearer', scope: SCOPES.join(' ') };
}

/** nock for the token endpoint, answering `times` times with the given token. */
export function mockToken(accessToken = SECRET.token, options: { expiresIn?: number; times?: number } = {}) {
  return nock(AUTH_ORIGIN)
    .post(TOKEN_PATH)
    .times(options.times ?? 1)
    .reply(200, tokenAnswer(accessToken, options.expiresIn));
}

export function api() {
  return nock(API_ORIGIN);
}

export function makeProfile(overrides: Partial<ProfileEntry> = {}): ProfileEntry {
  return {
    tenant: 'acme',
    environment: 'production',
    apiUrl: API_ROOT,
    tokenUrl: TOKEN_URL,
    clientId: 'acme-client',
    userAgent: null,
    scopes: SCOPES,
    createdAt: '2025-01-01T00:00:00.000Z',
    clientSecret: SECRET.client,
    ...overrides,
  };
}

const dirs: string[] = [];

/** A fresh private folder; call removeTempDirs in afterEach. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'protime-hooks-http-'));
  dirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A store in a new temp folder holding one logged-in profile named `default`. */
export async function storeWithProfile(overrides: Partial<ProfileEntry> = {}): Promise<FileStore> {
  const store = new FileStore(tempDir());
  await store.update((data) => {
    data.profiles.default = makeProfile(overrides);
  });
  return store;
}

export { testClock } from '../helpers/clock.js';

/** A client with a token provider that always hands out `token` (no token endpoint involved). */
export function clientWithToken(http: HttpSettings, token = SECRET.token): ProtimeClient {
  return new ProtimeClient(API_ROOT, { get: async () => token }, http);
}

/** A client wired to a real TokenProvider over `store`. */
export function clientWithStore(store: FileStore, http: HttpSettings, now = () => new Date('2025-01-01T00:00:00Z')): ProtimeClient {
  return new ProtimeClient(API_ROOT, new TokenProvider(profileTokens(store, 'default'), 'default', http, now), http);
}

/** Awaits a promise that must reject with a CliError and returns it. */
export async function cliError(promise: Promise<unknown>): Promise<CliError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a CliError, but the call succeeded');
    },
    (reason: unknown) => reason,
  );
  if (!(error instanceof CliError)) throw error;
  return error;
}
