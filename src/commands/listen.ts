import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context } from '../context.js';
import { bindError } from '../shared/bind-error.js';
import type { View } from '../shared/output.js';
import { type Algorithm, type Encoding, verify } from '../shared/signature.js';

export interface ListenOptions {
  port: number;
  host: string;
  path: string;
  signatureHeader: string;
  algorithm: Algorithm;
  encoding: Encoding;
  /** Stop after this many deliveries (scripts, demos); run until interrupted when absent. */
  count?: number;
  /** Forward verified deliveries to this URL and answer with its status. */
  forwardTo?: string;
  forwardTimeoutSeconds: number;
}

export interface Delivery {
  receivedAt: string;
  /** The subscription whose key verified the signature; else the id the sender named; else null. */
  subscriptionId: string | null;
  verified: boolean;
  changeType: string | null;
  changeVersion: string | null;
  event: unknown;
  /** What the app behind --forward-to answered (502 unreachable, 504 too slow); null when not forwarded. */
  forwarded: { status: number; ms: number } | null;
}

export interface ListenResult {
  url: string;
  deliveries: number;
  verified: number;
  rejected: number;
}

const MAX_BODY = 1024 * 1024;
/** Deliveries handled at once; more are answered 503 so the sender retries, rather than queued without bound. */
const MAX_IN_FLIGHT = 64;
/**
 * A new webhook signs with its new key from its first second, a moment before the key is stored
 * here: a delivery no key verifies is checked again against freshly read keys for this long.
 */
const VERIFY_GRACE_MS = 3000;
const VERIFY_RETRY_MS = 50;

/**
 * A local receiver: verifies each delivery against the keys this profile holds, answers 204 or 401,
 * and writes one NDJSON line per delivery to stdout as it arrives.
 */
export async function run(options: ListenOptions, ctx: Context): Promise<ListenResult> {
  const profile = ctx.globals.profile;
  const keyCount = (await keysOf(ctx)).length;
  const result = { url: '', deliveries: 0, verified: 0, rejected: 0 };
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));

  let inFlight = 0;
  const server = createServer((request, response) => {
    if (inFlight >= MAX_IN_FLIGHT) return void response.writeHead(503, { 'retry-after': '1' }).end();
    inFlight++;
    void handle(request, response)
      .catch((error) => {
        ctx.log.error(`Delivery could not be handled: ${(error as Error).message}`);
        if (!response.headersSent) response.writeHead(500).end();
      })
      .finally(() => inFlight--);
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://receiver').pathname;
    if (path !== options.path) return void response.writeHead(404).end();
    if (request.method !== 'POST') return void response.writeHead(405, { allow: 'POST' }).end();
    if (Number(request.headers['content-length']) > MAX_BODY) return void response.writeHead(413, { connection: 'close' }).end();
    const body = await readBody(request);
    if (body === undefined) return void response.writeHead(413).end();
    const signature = request.headers[options.signatureHeader.toLowerCase()];
    const named = header(request, 'x-protime-webhook-id');
    const { match, keys } = await verifyDelivery(ctx, body, typeof signature === 'string' ? signature : undefined, named, options);
    const forwarded =
      match && options.forwardTo
        ? await forward(ctx.http.fetch ?? fetch, options.forwardTo, options.forwardTimeoutSeconds, request, body, match.id)
        : null;
    const event = parseJson(body);
    const data = (event as { data?: { changeVersion?: unknown } } | null)?.data;
    const delivery: Delivery = {
      receivedAt: ctx.now().toISOString(),
      subscriptionId: match?.id ?? named ?? null,
      verified: Boolean(match),
      changeType: stringOrNull((event as { changeType?: unknown } | null)?.changeType),
      changeVersion: stringOrNull(data?.changeVersion ?? (event as { changeVersion?: unknown } | null)?.changeVersion),
      event,
      forwarded,
    };
    response.writeHead(forwarded?.status ?? (match ? 204 : 401)).end();
    ctx.io.stdout.write(`${JSON.stringify(delivery)}\n`);
    result.deliveries++;
    if (match) result.verified++;
    else {
      result.rejected++;
      ctx.log.warn(
        typeof signature === 'string'
          ? `Rejected a delivery: its ${options.signatureHeader} matches none of the ${keys.length} key(s) held.`
          : `Rejected a delivery without a ${options.signatureHeader} header.`,
      );
    }
    if (options.count !== undefined && result.deliveries >= options.count) finish();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(bindError(error, options.host, options.port) ?? error));
    server.listen(options.port, options.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  result.url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}${options.path}`;
  ctx.log.info(
    `Listening on ${result.url} with ${keyCount} key(s) of profile "${profile}"; ${options.count ? `stopping after ${options.count} deliveries` : 'Ctrl-C to stop'}.`,
  );
  if (keyCount === 0)
    ctx.log.warn('No webhook keys are held for this profile yet; deliveries verify once one of its subscriptions exists.');

  await Promise.race([done, ctx.untilInterrupted()]);
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return result;
}

/**
 * Keys are read per delivery (a renewal running meanwhile adds the new key without a restart),
 * and again for a few seconds when none verifies: the new key may be a moment from being stored.
 */
async function verifyDelivery(
  ctx: Context,
  body: Buffer,
  signature: string | undefined,
  named: string | undefined,
  options: ListenOptions,
): Promise<{ match?: { id: string }; keys: Array<{ id: string; key: string }> }> {
  const deadline = Date.now() + VERIFY_GRACE_MS;
  for (;;) {
    const keys = (await keysOf(ctx)).sort((a, b) => Number(b.id === named) - Number(a.id === named));
    if (signature === undefined) return { keys };
    const match = keys.find((k) => verify(k.key, body, signature, options.algorithm, options.encoding));
    if (match || Date.now() >= deadline) return { match, keys };
    await new Promise((resolve) => setTimeout(resolve, VERIFY_RETRY_MS));
  }
}

/** Hands a verified delivery to the app: the same body and Content-Type, and which webhook sent it. */
async function forward(
  // The network's fetch: the forward honours the proxy variables (and NO_PROXY) like every request.
  send: typeof globalThis.fetch,
  url: string,
  timeoutSeconds: number,
  request: IncomingMessage,
  body: Buffer,
  webhookId: string,
): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  let status: number;
  try {
    const answer = await send(url, {
      method: 'POST',
      body,
      headers: {
        'content-type': header(request, 'content-type') ?? 'application/json',
        'x-protime-hooks-webhook-id': webhookId,
      },
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutSeconds * 1000),
    });
    // Only the status goes back to Protime; the app's body is not read.
    await answer.body?.cancel();
    status = answer.status;
  } catch (error) {
    status = (error as Error).name === 'TimeoutError' ? 504 : 502;
  }
  return { status, ms: Math.round(performance.now() - started) };
}

async function keysOf(ctx: Context): Promise<Array<{ id: string; key: string }>> {
  const records = (await ctx.store.read()).subscriptions[ctx.globals.profile] ?? {};
  // Replaced and unsubscribed webhooks keep their key for a while: late deliveries still verify.
  return Object.values(records).flatMap((r) => (r.key ? [{ id: r.id, key: r.key }] : []));
}

function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > MAX_BODY ? undefined : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return body.toString('utf8');
  }
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** Deliveries were already streamed as NDJSON; a final summary goes to stderr only. */
export const streaming = true;

export function summarize(result: ListenResult): string {
  return `Stopped: ${result.deliveries} deliveries, ${result.verified} verified, ${result.rejected} rejected.`;
}

export function render(_result: ListenResult, _view: View): string {
  return '';
}
