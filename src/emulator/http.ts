import type { IncomingMessage, ServerResponse } from 'node:http';

/** Nothing the CLI sends comes close to this; a bigger body is a bug or abuse. */
const MAX_BODY_BYTES = 1_000_000;

/**
 * An error answered in Protime's shape: `{"error":{"code","message","reasons"}}`.
 * Thrown from any handler; the dispatcher turns it into the response.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly reasons: string[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'PayloadTooLarge', 'The request body is too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Reads a JSON object body; anything else is a 400 like the real API gives. */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const raw = (await readBody(req)).toString('utf8');
  if (raw.trim() === '') throw new HttpError(400, 'BadRequest', 'The request body is empty', ['expected a JSON object']);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new HttpError(400, 'BadRequest', 'The request body is not valid JSON', ['expected a JSON object']);
  }
  if (!isPlainObject(parsed)) throw new HttpError(400, 'BadRequest', 'The request body must be a JSON object', ['expected a JSON object']);
  return parsed;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, headers);
  res.end();
}

export function sendHttpError(res: ServerResponse, error: HttpError): void {
  sendJson(res, error.status, { error: { code: error.code, message: error.message, reasons: error.reasons } }, error.headers);
}

/** The `code` Protime would put in an error body for a status, used for injected faults too. */
export function codeForStatus(status: number): string {
  const codes: Record<number, string> = {
    400: 'BadRequest',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'NotFound',
    405: 'MethodNotAllowed',
    409: 'Conflict',
    413: 'PayloadTooLarge',
    414: 'UriTooLong',
    429: 'TooManyRequests',
    500: 'InternalServerError',
    502: 'BadGateway',
    503: 'ServiceUnavailable',
    504: 'GatewayTimeout',
  };
  return codes[status] ?? (status >= 500 ? 'InternalServerError' : 'Error');
}

/**
 * True for 127.0.0.0/8, ::1 and their IPv4-mapped forms. The control endpoints can inject
 * faults and read keys, so only the machine itself may call them even when bound to 0.0.0.0.
 */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const ip = address.toLowerCase().replace(/^::ffff:/, '');
  return ip === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ip);
}

/** decodeURIComponent that leaves malformed escapes as they are instead of throwing (a 500). */
export function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The origin a client used to reach us, for links we hand back (nextLink, Location, the issuer):
 * X-Forwarded-Proto/-Host from a proxy in front (TLS terminated there), else the Host header, else
 * `fallback` (the address we listen on). A header that is not a plain host[:port] is ignored, so a
 * request cannot make us emit a link with a path, credentials or a scheme other than http(s).
 */
export function requestOrigin(req: IncomingMessage, fallback: string): string {
  const listened = new URL(fallback);
  const proto = firstValue(req.headers['x-forwarded-proto'])?.toLowerCase();
  const protocol = proto === 'http' || proto === 'https' ? proto : listened.protocol.slice(0, -1);
  const host = [firstValue(req.headers['x-forwarded-host']), req.headers.host].find((h) => h !== undefined && HOST.test(h));
  return `${protocol}://${host ?? listened.host}`;
}

/** A DNS name or IPv4 address, or a bracketed IPv6 address, with an optional port. */
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** Proxies append to X-Forwarded-*: the first value is the one the client sent to the outermost proxy. */
function firstValue(header: string | string[] | undefined): string | undefined {
  const text = Array.isArray(header) ? header[0] : header;
  const first = text?.split(',')[0]?.trim();
  return first === '' ? undefined : first;
}
