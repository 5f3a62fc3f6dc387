/**
 * A hostile Protime for the hostile-server matrix: a real HTTP server on 127.0.0.1 that answers
 * like Protime (token, list, create, delete) except on the one route a case turns hostile, and a
 * second server "elsewhere" that records whatever reaches it (a redirect's target). The binary
 * runs against them with its peak RSS read from /proc while it runs.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { FileStore } from '../../src/state/file-store.js';
import { echoForms } from '../helpers/secrets.js';
import { makeTempDir } from './emulator-process.js';
import { BIN } from './run-binary.js';

export const SECRET = 'hostile-client-secret+/=7f3a9c';
export const TOKEN = 'hostile-access-token.0b1c2d3e';
export const HELD_KEY = 'held-webhook-key+/=1234567890abcdef';
export const CREATED_KEY = 'created-webhook-key-in-201-answer';
export const DUE_ID = 'due-1';
export const HELD_ID = 'held-1';

export type Route = 'token' | 'list' | 'create' | 'delete';
export type Handler = (req: IncomingMessage, res: ServerResponse, ctx: { origin: string; elsewhere: string }) => void;

/** An error body echoing every credential the client holds, in every form. */
export function echoBody(): string {
  const all = [SECRET, TOKEN, HELD_KEY].flatMap(echoForms);
  return JSON.stringify({ error: { code: 'BadRequest', message: `You sent: ${all.join(' | ')}`, reasons: all } });
}

const isoIn = (ms: number) => new Date(Date.now() + ms).toISOString();

function webhook(id: string, validInMs: number) {
  return {
    id,
    validUntil: isoIn(validInMs),
    status: 'Enabled',
    destinationUrl: `https://hooks.example.com/${id}`,
    collectionName: 'contracts',
  };
}

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}

async function listen(
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => handler(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export class HostileProtime {
  private constructor(
    private readonly servers: Server[],
    readonly origin: string,
    /** Every request the Protime server took, in order. */
    readonly seen: Seen[],
    /** Requests that reached the other origin: nothing with a secret may be among them. */
    readonly elsewhereSeen: Seen[],
  ) {}

  static async start(hostile: Partial<Record<Route, Handler>>, list = [webhook(DUE_ID, 2 * 3600_000), webhook(HELD_ID, 20 * 86400_000)]) {
    const seen: Seen[] = [];
    const elsewhereSeen: Seen[] = [];
    const other = await listen((req, res, body) => {
      elsewhereSeen.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, body });
      // Answers like a good server would, so that only refusing to go there keeps a secret safe.
      if (req.url?.endsWith('/token')) return json(res, 200, { access_token: 'token-from-elsewhere', expires_in: 3600 });
      if (req.method === 'POST') return json(res, 201, { ...webhook('from-elsewhere', 30 * 86400_000), key: 'key-from-elsewhere' });
      json(res, 200, { value: [] });
    });
    let ctx = { origin: '', elsewhere: other.origin };
    const main = await listen((req, res, body) => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, body });
      const route = routeOf(req);
      const handler = route && hostile[route];
      if (handler) return handler(req, res, ctx);
      if (route === 'token') return json(res, 200, { access_token: TOKEN, expires_in: 1800, token_type: 'Bearer' });
      if (route === 'list') return json(res, 200, { value: list });
      if (route === 'create') return json(res, 201, { ...webhook('created-1', 30 * 86400_000), key: CREATED_KEY });
      if (route === 'delete') return res.writeHead(204).end();
      json(res, 404, { error: { code: 'NotFound', message: 'no such route' } });
    });
    ctx = { origin: main.origin, elsewhere: other.origin };
    return new HostileProtime([main.server, other.server], main.origin, seen, elsewhereSeen);
  }

  get apiUrl(): string {
    return `${this.origin}/api`;
  }

  get tokenUrl(): string {
    return `${this.origin}/token`;
  }

  /** A config dir logged in to this server: a cached token unless `token: false`, a due and a held record. */
  async seed(options: { token?: boolean; dir?: string } = {}): Promise<string> {
    const dir = options.dir ?? join(makeTempDir('ph-hostile-'), 'config');
    await new FileStore(dir).update((data) => {
      data.profiles.default = {
        tenant: 'acme',
        environment: 'production',
        apiUrl: this.apiUrl,
        tokenUrl: this.tokenUrl,
        clientId: 'client-1',
        userAgent: null,
        scopes: [],
        createdAt: new Date().toISOString(),
        clientSecret: SECRET,
        ...(options.token === false ? {} : { token: { accessToken: TOKEN, expiresAt: isoIn(3600_000), scopes: [] } }),
      };
      const record = (id: string, key: string, validInMs: number) => ({
        id,
        collection: 'contracts',
        destinationUrl: `https://hooks.example.com/${id}`,
        externalReferences: [],
        key,
        validUntil: isoIn(validInMs),
        createdAt: isoIn(-10 * 86400_000),
        status: 'Enabled',
        raw: {},
      });
      data.subscriptions.default = {
        [DUE_ID]: record(DUE_ID, 'due-webhook-key-abcdef', 2 * 3600_000),
        [HELD_ID]: record(HELD_ID, HELD_KEY, 20 * 86400_000),
      };
    });
    return dir;
  }

  stop(): void {
    for (const server of this.servers) {
      server.closeAllConnections();
      server.close();
    }
  }
}

function routeOf(req: IncomingMessage): Route | null {
  const path = (req.url ?? '').split('?')[0];
  if (path === '/token' && req.method === 'POST') return 'token';
  if (path === '/api/webhooks' && req.method === 'GET') return 'list';
  if (path === '/api/webhooks' && req.method === 'POST') return 'create';
  if (path?.startsWith('/api/webhooks/') && req.method === 'DELETE') return 'delete';
  return null;
}

export interface MeasuredRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The highest VmHWM read from /proc/<pid>/status while it ran, in bytes (0 if /proc is absent). */
  peakRss: number;
}

/** Runs the built binary with a clean environment (as another user with `as`), sampling its peak RSS every 5 ms. */
export function runMeasured(
  args: string[],
  env: Record<string, string>,
  stdin = '',
  as?: { uid: number; gid: number },
): Promise<MeasuredRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      ...as,
      env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let peakRss = 0;
    const sample = () => {
      try {
        const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
        if (kb) peakRss = Math.max(peakRss, Number(kb) * 1024);
      } catch {
        // The process has just ended: the last sample stands.
      }
    };
    const sampler = setInterval(sample, 5);
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', sample);
    child.on('close', (code) => {
      clearInterval(sampler);
      clearTimeout(timer);
      resolve({ code, stdout, stderr, peakRss });
    });
    child.stdin.end(stdin);
  });
}
