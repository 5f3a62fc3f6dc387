/**
 * A local stand-in for Protime's token endpoint and webhook API, with deliveries, for
 * development, demos and end-to-end tests. Faithful to docs/protime-api.md where the docs
 * speak; where they are silent it follows protime-hooks' decisions (signature header, body shapes).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { API_PATH } from './api.js';
import { RequestLog } from './control.js';
import { Deliverer } from './deliveries.js';
import { FaultList } from './faults.js';
import { createRequestHandler } from './server.js';
import { Timers } from './timers.js';
import { TokenIssuer } from './tokens.js';
import { WebhookStore } from './webhooks.js';

export { emitEvents } from './client.js';
export { SIGNATURE_HEADER, signBody, WEBHOOK_ID_HEADER } from './deliveries.js';
export { isLoopbackAddress } from './http.js';

export interface EmulatorOptions {
  /** Default 4010; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default `demo`. */
  tenant?: string;
  /** Default `demo`. */
  clientId?: string;
  /** Default `demo-secret`. */
  clientSecret?: string;
  /** Webhook lifetime; default 30 days (Protime does not document its own). */
  validitySeconds?: number;
  /** Default 1800, as in every Protime example. */
  tokenTtlSeconds?: number;
  /** Webhooks per list page; default 50. */
  pageSize?: number;
  /** Consecutive failed deliveries before a webhook is Disabled; default 5. */
  maxFailures?: number;
  /** Keeps webhooks (not tokens) across restarts, as JSON with mode 0600; in memory when absent. */
  stateFile?: string;
  /** The clock for tokens and webhook expiry, for tests. */
  now?: () => Date;
  /** Receives one line per request and per delivery attempt; the caller decides where (stderr). */
  log?: (line: string) => void;
  /** Delivery retries wait retryBaseMs * 2^n; default 1000. */
  retryBaseMs?: number;
}

export interface RunningEmulator {
  /** e.g. http://127.0.0.1:4010 */
  url: string;
  /** `${url}/connector/protimeapi/api/v1` */
  apiUrl: string;
  /** `${url}/tenants/${tenant}/connect/token` */
  tokenUrl: string;
  tenant: string;
  clientId: string;
  clientSecret: string;
  /** Stops the server, pending delivery retries, deliveries in flight and keep-alive sockets. */
  close(): Promise<void>;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const settings = {
    port: options.port ?? 4010,
    host: options.host ?? '127.0.0.1',
    tenant: options.tenant ?? 'demo',
    clientId: options.clientId ?? 'demo',
    clientSecret: options.clientSecret ?? 'demo-secret',
    validitySeconds: positive('validitySeconds', options.validitySeconds ?? 30 * 86_400),
    tokenTtlSeconds: positive('tokenTtlSeconds', options.tokenTtlSeconds ?? 1800),
    pageSize: positive('pageSize', options.pageSize ?? 50),
    maxFailures: positive('maxFailures', options.maxFailures ?? 5),
    retryBaseMs: positive('retryBaseMs', options.retryBaseMs ?? 1000),
    now: options.now ?? (() => new Date()),
    log: options.log ?? (() => undefined),
  };
  // Built before listening so a corrupt state file fails the start, not the first request.
  const store = new WebhookStore({ now: settings.now, validitySeconds: settings.validitySeconds, stateFile: options.stateFile });
  const server = createServer();
  const port = await listen(server, settings.port, settings.host);
  const url = `http://${advertisedHost(settings.host)}:${port}`;
  const apiUrl = `${url}${API_PATH}`;
  const tokenUrl = `${url}/tenants/${encodeURIComponent(settings.tenant)}/connect/token`;

  const timers = new Timers();
  const deliverer = new Deliverer(store, timers, settings);
  server.on(
    'request',
    createRequestHandler({
      url,
      tenant: settings.tenant,
      tokens: new TokenIssuer(settings),
      store,
      deliverer,
      faults: new FaultList(),
      requests: new RequestLog(),
      pageSize: settings.pageSize,
      timers,
      now: settings.now,
      log: settings.log,
    }),
  );

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve, reject) => {
      timers.cancelAll();
      deliverer.close();
      store.flush();
      server.close((error) => (error ? reject(error) : resolve()));
      // close() alone waits for keep-alive sockets to time out; a test or Ctrl-C should not.
      server.closeAllConnections();
    });
    return closing;
  };
  const { tenant, clientId, clientSecret } = settings;
  return { url, apiUrl, tokenUrl, tenant, clientId, clientSecret, close };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** A wildcard bind is reachable on loopback; IPv6 literals need brackets in a URL. */
function advertisedHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`Emulator option ${name} must be a positive number, got ${value}`);
  return value;
}
