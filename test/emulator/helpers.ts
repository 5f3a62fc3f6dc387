import { createServer, type IncomingHttpHeaders, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type EmulatorOptions, type RunningEmulator, startEmulator } from '../../src/emulator/index.js';

export const UA = 'protime-hooks-test/1.0 (tests)';
export const WEBHOOK_SCOPES = 'connector-protimeapi-webhooks.read connector-protimeapi-webhooks.write';

const running: Array<{ close(): Promise<void> }> = [];

/** Starts an emulator on a free port; closeAll() (in afterEach) stops it. */
export async function startTestEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const emulator = await startEmulator({ port: 0, ...options });
  running.push(emulator);
  return emulator;
}

export async function closeAll(): Promise<void> {
  await Promise.all(running.splice(0).map((server) => server.close()));
}

export { testClock } from '../helpers/clock.js';

export async function requestToken(emulator: RunningEmulator, fields: Record<string, string> = {}) {
  const response = await fetch(emulator.tokenUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'User-Agent': UA },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: emulator.clientId,
      client_secret: emulator.clientSecret,
      scope: WEBHOOK_SCOPES,
      ...fields,
    }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export async function getToken(emulator: RunningEmulator, scope = WEBHOOK_SCOPES): Promise<string> {
  const { status, body } = await requestToken(emulator, { scope });
  if (status !== 200) throw new Error(`token request failed: ${status} ${JSON.stringify(body)}`);
  return body.access_token as string;
}

export interface Answer {
  status: number;
  headers: Headers;
  /** Parsed JSON; tests read whatever came back. */
  body: any;
}

/** Calls the API (path relative to apiUrl, or absolute) with the token and a User-Agent. */
export async function api(emulator: RunningEmulator, token: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const url = path.startsWith('http') ? path : `${emulator.apiUrl}${path}`;
  const response = await fetch(url, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      'User-Agent': UA,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

/** Calls a control endpoint under /_emulator. */
export async function control(emulator: RunningEmulator, method: string, path: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${emulator.url}/_emulator${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

export async function createWebhook(
  emulator: RunningEmulator,
  token: string,
  collectionName = 'contracts',
  destinationUrl = 'https://example.test/hook',
) {
  const answer = await api(emulator, token, 'POST', '/webhooks', { destinationUrl, collectionName });
  if (answer.status !== 201) throw new Error(`create failed: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body as { id: string; key: string; validUntil: string; status: string };
}

/**
 * A raw node:http request: unlike fetch it sends no User-Agent unless told to.
 */
export function rawRequest(url: string, method: string, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString() || 'null') }));
    });
    req.on('error', reject);
    req.end();
  });
}

export interface Received {
  headers: IncomingHttpHeaders;
  raw: Buffer;
  body: any;
}

/** A local delivery destination; `statuses` are answered in turn, the last one repeats. */
export async function startReceiver(statuses: number[] = [200]) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      received.push({ headers: req.headers, raw, body: JSON.parse(raw.toString()) });
      res.statusCode = statuses[Math.min(received.length - 1, statuses.length - 1)]!;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  running.push({ close });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, close };
}

/** Polls until check() is truthy; fails the test after timeoutMs. */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('waitFor: condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
