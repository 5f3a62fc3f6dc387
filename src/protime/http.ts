import { CliError, failure, temporary } from '../shared/errors.js';
import { untrustedCertificate } from '../shared/network.js';
import { redactBody, redactHeaders } from '../shared/redact.js';

/** How every HTTP request of protime-hooks behaves; built once in context.ts, replaced in tests. */
export interface HttpSettings {
  userAgent: string;
  /** Per attempt (PROTIME_HOOKS_TIMEOUT, default 15 s). */
  timeoutMs: number;
  maxRetries: number;
  /** First backoff step; doubles per retry, with jitter. */
  retryBaseMs: number;
  /** Upper bound on any wait, Retry-After included. */
  maxDelayMs: number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  /** --debug sink: one line per attempt and retry; never receives a secret. */
  trace?: (line: string) => void;
  /** Answers larger than this (after decompression) are refused while they stream in. */
  maxBodyBytes: number;
  /** The network's fetch (proxy, CAs: shared/network.ts); defaults to the global fetch. */
  fetch?: typeof globalThis.fetch;
  /**
   * Origin → the instant (ms) before which no request is sent there: a 429 or 503 with a wait
   * slows every worker of that tenant, not only the one that was told. Shared by every client of
   * one invocation.
   */
  gate?: Map<string, number>;
  /** The proxy a URL goes through (printable, no credentials), for messages; undefined when direct. */
  proxyFor?: (url: URL) => string | undefined;
}

/**
 * `idempotent`: retried on network errors, timeouts, 408/429/500/502/503/504.
 * `create`: a POST that may have taken effect — retried only on 429/503 answers, where the server
 * said it did nothing; a timeout or dropped connection is never retried.
 */
export type RetryPolicy = 'idempotent' | 'create';

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  query?: Record<string, string>;
  json?: unknown;
  form?: Record<string, string>;
  bearer?: string;
  /** A whole Authorization header (the token request's Basic client authentication). */
  authorization?: string;
  retry: RetryPolicy;
  /** What the request does, for messages: "creating the webhook". */
  purpose?: string;
  /**
   * For answers that carry a secret under a field name nobody documented (the 201 of a create):
   * the --debug trace of a successful answer shows only these fields' values.
   */
  traceOnly?: readonly string[];
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON when the body is JSON, else the text, else undefined. */
  data: unknown;
  url: string;
}

const RETRY_STATUS: Record<RetryPolicy, ReadonlySet<number>> = {
  idempotent: new Set([408, 429, 500, 502, 503, 504]),
  create: new Set([429, 503]),
};

/** GET redirects followed within the API's origin; more is a loop. */
const MAX_REDIRECTS = 5;

/**
 * Sends one request with the retry policy and returns the final response, whatever its status:
 * the caller decides what a 401 or 404 means. Throws when no usable answer came (network failure
 * or timeout after retries, exit 75), and for a redirect it will not follow (exit 1): secrets go
 * only where they belong, so a GET is followed only within its own origin, and a POST or DELETE
 * (the token request, a create, a delete) never.
 */
export async function send(request: HttpRequest, settings: HttpSettings): Promise<HttpResponse> {
  let current = request;
  for (let hop = 0; ; hop++) {
    const response = await sendWithRetries(current, settings);
    const location = response.status >= 300 && response.status < 400 ? response.headers.get('location') : null;
    if (!location) return response;
    const from = new URL(current.url);
    const next = new URL(location, from);
    if (current.method === 'GET' && next.origin === from.origin && hop < MAX_REDIRECTS) {
      settings.trace?.(`following ${response.status} to ${next.pathname}${next.search}`);
      current = { ...current, url: next.href, query: undefined };
      continue;
    }
    const why =
      current.method !== 'GET'
        ? current.form
          ? 'credentials are sent only to the token endpoint itself'
          : 'a create or delete is never sent anywhere else'
        : next.origin === from.origin
          ? `more than ${MAX_REDIRECTS} redirects`
          : `the access token stays with ${from.origin}`;
    throw failure(
      'redirect-refused',
      `${current.method} ${from.origin}${from.pathname} was answered ${response.status}, redirecting to ${next.origin}${next.pathname}; not followed: ${why}.`,
      {
        hint: "Check --api-url and --token-url (`protime-hooks login`): they must name Protime's endpoints directly.",
        status: response.status,
      },
    );
  }
}

async function sendWithRetries(request: HttpRequest, settings: HttpSettings): Promise<HttpResponse> {
  const target = describeTarget(request);
  const origin = new URL(request.url).origin;
  // The gate this request closed itself and has already waited out in its own retry delay.
  let waited = 0;
  for (let attempt = 0; ; attempt++) {
    await waitAtGate(settings, origin, target, waited);
    const started = Date.now();
    let response: HttpResponse;
    try {
      response = await attemptOnce(request, settings);
    } catch (error) {
      // An answer we refused to read (too large) is an answer, not a network failure: never retried.
      if (error instanceof CliError) throw error;
      // A certificate that cannot be verified stays so on every attempt: report it, do not retry.
      const untrusted = untrustedCertificate(error);
      if (untrusted) throw tlsUntrusted(request, untrusted, settings, error);
      const refusal = proxyRefusal(error);
      if (refusal) throw proxyRefused(request, refusal, settings, error);
      const timedOut = isTimeout(error);
      const reason = timedOut ? `timed out after ${settings.timeoutMs} ms` : networkReason(error);
      settings.trace?.(`${target} failed: ${reason} (${Date.now() - started} ms)`);
      if (request.retry === 'idempotent' && attempt < settings.maxRetries) {
        const delay = backoff(attempt, settings);
        settings.trace?.(`retry ${attempt + 1}/${settings.maxRetries} of ${target} in ${delay} ms`);
        await settings.sleep(delay);
        continue;
      }
      throw noAnswer(request, reason, timedOut, error, settings.proxyFor?.(new URL(request.url)));
    }
    settings.trace?.(
      `${target} -> ${response.status} (${Date.now() - started} ms) ${traceBody(response.data, response.status < 300 ? request.traceOnly : undefined)}`,
    );
    if (RETRY_STATUS[request.retry].has(response.status) && attempt < settings.maxRetries) {
      const delay = retryAfterMs(response.headers.get('retry-after'), Date.now(), settings.maxDelayMs) ?? backoff(attempt, settings);
      if (response.status === 429 || response.status === 503) waited = closeGate(settings, origin, delay);
      settings.trace?.(`retry ${attempt + 1}/${settings.maxRetries} of ${target} in ${delay} ms (status ${response.status})`);
      await settings.sleep(delay);
      continue;
    }
    return response;
  }
}

async function attemptOnce(request: HttpRequest, settings: HttpSettings): Promise<HttpResponse> {
  const headers: Record<string, string> = { 'user-agent': settings.userAgent, accept: 'application/json' };
  if (request.bearer) headers.authorization = `Bearer ${request.bearer}`;
  if (request.authorization) headers.authorization = request.authorization;
  let body: string | undefined;
  if (request.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(request.form).toString();
  } else if (request.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(request.json);
  }
  settings.trace?.(
    `${describeTarget(request)} headers=${JSON.stringify(redactHeaders(headers))}` +
      (body === undefined ? '' : ` body=${traceBody(request.form ?? request.json)}`),
  );
  const url = new URL(request.url);
  for (const [name, value] of Object.entries(request.query ?? {})) url.searchParams.set(name, value);
  // The signal covers the body too: a body that stalls after the headers would otherwise hang.
  const signal = AbortSignal.timeout(settings.timeoutMs);
  // Redirects are decided by send(), which knows where secrets may go.
  const response = await (settings.fetch ?? fetch)(url, { method: request.method, headers, body, signal, redirect: 'manual' });
  const data = await readBody(response, request, settings.maxBodyBytes);
  return { status: response.status, headers: response.headers, data, url: response.url || url.href };
}

/**
 * The body, read while it streams (after decompression, which fetch does) and stopped at the cap:
 * a huge, endless or gzip-bomb answer costs at most `max` bytes of memory, never the whole body.
 * JSON is parsed when the content type says so (or says nothing); anything else stays text.
 */
async function readBody(response: Response, request: HttpRequest, max: number): Promise<unknown> {
  if (!response.body || response.status === 204 || response.status === 304) return undefined;
  const declared = Number(response.headers.get('content-length'));
  const encoded = Boolean(response.headers.get('content-encoding'));
  if (!encoded && declared > max) {
    await response.body.cancel();
    throw tooLarge(request, response.status, max, `it declared ${declared} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw tooLarge(request, response.status, max, 'it went on past that');
    }
    chunks.push(value);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const type = response.headers.get('content-type') ?? '';
  return type === '' || /\bjson\b/i.test(type) ? parseJson(text) : text;
}

function tooLarge(request: HttpRequest, status: number, max: number, how: string) {
  return failure(
    'response-too-large',
    `The answer to ${request.method} ${safeHost(request.url)}${new URL(request.url).pathname} (HTTP ${status}) was larger than ${max / 1024 / 1024} MiB (${how}); it was not read further.`,
    { hint: 'Check --api-url and --token-url: Protime never sends answers this large.', status },
  );
}

/** Waits while the origin's gate is closed (another worker was told to slow down). */
async function waitAtGate(settings: HttpSettings, origin: string, target: string, waited: number): Promise<void> {
  const until = settings.gate?.get(origin);
  const wait = until === undefined || until <= waited ? 0 : until - Date.now();
  if (wait <= 0) return;
  settings.trace?.(`${target} waits ${wait} ms: ${origin} asked to slow down`);
  await settings.sleep(wait);
}

/** Closes the origin's gate for `delayMs`; returns the instant this request's own wait covers. */
function closeGate(settings: HttpSettings, origin: string, delayMs: number): number {
  const until = Date.now() + delayMs;
  settings.gate?.set(origin, Math.max(settings.gate.get(origin) ?? 0, until));
  return until;
}

/** Exponential backoff with full jitter: base·2^n scaled by a random factor in [0.5, 1.5). */
export function backoff(attempt: number, settings: Pick<HttpSettings, 'retryBaseMs' | 'maxDelayMs' | 'random'>): number {
  const base = settings.retryBaseMs * 2 ** attempt;
  return Math.min(settings.maxDelayMs, Math.round(base * (0.5 + settings.random())));
}

/** Retry-After in seconds or as an HTTP date, in ms from `now`, capped; undefined if absent or unreadable. */
export function retryAfterMs(value: string | null, now: number, capMs: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const text = value.trim();
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(text)) ms = Number(text) * 1000;
  else {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return Math.min(capMs, Math.max(0, Math.round(ms)));
}

function describeTarget(request: HttpRequest): string {
  const query = request.query ? `?${new URLSearchParams(request.query).toString()}` : '';
  return `${request.method} ${request.url}${query}`;
}

function traceBody(data: unknown, only?: readonly string[]): string {
  if (data === undefined || data === '') return '';
  // JSON sent with a text content type is still JSON: read it, so its secrets are found too.
  let value = typeof data === 'string' ? parseJson(data) : data;
  if (only && value && typeof value === 'object' && !Array.isArray(value)) {
    value = Object.fromEntries(Object.entries(value).map(([name, inner]) => [name, only.includes(name) ? inner : '[redacted]']));
  }
  const text = typeof value === 'string' ? value : JSON.stringify(redactBody(value));
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

/** JSON when it parses, else the text. A `__proto__` key is dropped: copied onto an object it would set its prototype. */
function parseJson(text: string): unknown {
  try {
    return text.includes('"__proto__"') ? JSON.parse(text, (key, value) => (key === '__proto__' ? undefined : value)) : JSON.parse(text);
  } catch {
    return text;
  }
}

function isTimeout(error: unknown): boolean {
  return (error as Error | undefined)?.name === 'TimeoutError';
}

function networkReason(error: unknown): string {
  let cause: unknown = error;
  // undici wraps the system error (ECONNREFUSED, ENOTFOUND…) one level down.
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const message = cause instanceof Error ? cause.message : String(cause);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

function noAnswer(request: HttpRequest, reason: string, timedOut: boolean, cause: unknown, proxy: string | undefined) {
  const host = `${safeHost(request.url)}${proxy ? ` through the proxy ${proxy}` : ''}`;
  if (request.retry === 'create') {
    return temporary(
      timedOut ? 'create-timeout' : 'create-interrupted',
      `No answer while ${request.purpose ?? 'creating'} (${reason}); the webhook may have been created anyway.`,
      {
        hint: 'Do not simply retry: run `protime-hooks status`, which shows a webhook created without its key as unknown-key.',
        cause,
      },
    );
  }
  return temporary(
    timedOut ? 'timeout' : 'network',
    `Could not reach ${host}${request.purpose ? ` while ${request.purpose}` : ''}: ${reason}.`,
    {
      hint: timedOut
        ? 'Raise PROTIME_HOOKS_TIMEOUT (seconds) if the network is slow.'
        : proxy
          ? 'Check that the proxy (HTTPS_PROXY / HTTP_PROXY) is up and lets this host through, or exempt the host with NO_PROXY.'
          : 'Check the network connection and the API URL, then try again.',
      cause,
    },
  );
}

function tlsUntrusted(request: HttpRequest, untrusted: { code: string; reason: string }, settings: HttpSettings, cause: unknown) {
  const host = safeHost(request.url);
  const proxy = settings.proxyFor?.(new URL(request.url));
  const nameProblem = untrusted.code === 'ERR_TLS_CERT_ALTNAME_INVALID' || untrusted.code === 'HOSTNAME_MISMATCH';
  return failure(
    'tls-untrusted',
    `The TLS certificate of ${host} cannot be verified${proxy ? ` (through the proxy ${proxy})` : ''}: ${untrusted.reason} (${untrusted.code}).`,
    {
      hint:
        (nameProblem ? `Check the URL: the certificate is not for ${new URL(request.url).hostname}. ` : '') +
        'If a private CA signs it, trust that CA with `protime-hooks login --ca-file <ca.pem>` (saved on the profile) or PROTIME_HOOKS_CA_FILE.',
      cause,
    },
  );
}

/**
 * The status a proxy refused a request with, from undici's words: "Proxy response (401) !== 200
 * when HTTP Tunneling" (https, CONNECT), "Proxy Authentication Required (407)" (plain http).
 * Only refusals that the same request would meet again: a login the proxy wants, or a denial.
 */
function proxyRefusal(error: unknown): number | undefined {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    const status = Number(/^Proxy response \((\d{3})\)|\((407)\)$/.exec(cause.message)?.slice(1).find(Boolean));
    if (status === 401 || status === 403 || status === 407) return status;
  }
  return undefined;
}

function proxyRefused(request: HttpRequest, status: number, settings: HttpSettings, cause: unknown) {
  const proxy = settings.proxyFor?.(new URL(request.url)) ?? 'the proxy';
  const target = safeHost(request.url);
  if (status === 403) {
    return failure('proxy-refused', `The proxy ${proxy} does not let requests to ${target} through (${status}).`, {
      hint: `Ask the proxy's administrators to allow ${target}, or exempt it with NO_PROXY if it is reachable directly.`,
      status,
      cause,
    });
  }
  return failure('proxy-auth', `The proxy ${proxy} refused the request to ${target}: it wants a user and password (${status}).`, {
    hint: 'Put them in the proxy URL: HTTPS_PROXY=http://user:password@host:port (percent-encode special characters).',
    status,
    cause,
  });
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
