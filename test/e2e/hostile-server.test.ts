/**
 * The hostile-server matrix: the built binary against a server per case on 127.0.0.1 that echoes
 * secrets in every encoding, redirects, names ids elsewhere, sends huge, endless or compressed-bomb
 * bodies, malformed items and odd token lifetimes. Each case asserts the exit code, no stack trace,
 * no secret in any form on any output, and that the held key is still stored.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { echoForms } from '../helpers/secrets.js';
import { removeTempDirs } from './emulator-process.js';
import {
  CREATED_KEY,
  DUE_ID,
  echoBody,
  type Handler,
  HELD_ID,
  HELD_KEY,
  HostileProtime,
  type MeasuredRun,
  type Route,
  runMeasured,
  SECRET,
  TOKEN,
} from './hostile-server.js';

const MiB = 1024 * 1024;
const servers: HostileProtime[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.stop();
});
afterAll(removeTempDirs);

interface Command {
  route: Route;
  args: (p: HostileProtime) => string[];
  stdin?: string;
  /** login starts with no cached token; the others hold one. */
  token?: boolean;
}

const COMMANDS: Record<string, Command> = {
  login: {
    route: 'token',
    token: false,
    stdin: `${SECRET}\n`,
    args: (p) => [
      'login',
      '--tenant',
      'acme',
      '--client-id',
      'client-1',
      '--api-url',
      p.apiUrl,
      '--token-url',
      p.tokenUrl,
      '--client-secret-stdin',
    ],
  },
  status: { route: 'list', args: () => ['status'] },
  subscribe: { route: 'create', args: () => ['subscribe', 'contracts', '--url', 'https://hooks.example.com/new'] },
  renew: { route: 'create', args: () => ['renew'] },
  unsubscribe: { route: 'delete', args: () => ['unsubscribe', HELD_ID, '--yes'] },
};

/** Runs a command against a fresh hostile server; returns the run, the server and the state after. */
async function attack(command: string, hostile: Partial<Record<Route, Handler>>, flags: string[] = []) {
  const spec = COMMANDS[command]!;
  const protime = await HostileProtime.start(hostile);
  servers.push(protime);
  const dir = await protime.seed({ token: spec.token });
  const run = await runMeasured([...spec.args(protime), ...flags], { PROTIME_HOOKS_CONFIG_DIR: dir }, spec.stdin);
  const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
  return { run, protime, state };
}

/**
 * The exit code, no "bug" report (and no stack trace unless --debug asked for one), and none of the
 * secrets the process knew in any form. `known`: login starts with no token, so it knows none.
 */
function expectClean(run: MeasuredRun, code: number, known = [SECRET, TOKEN, HELD_KEY], debug = false) {
  const output = `${run.stdout}\n${run.stderr}`;
  expect(run.code, output).toBe(code);
  expect(output).not.toMatch(/This is a bug|Unexpected error/);
  if (!debug) expect(output).not.toMatch(/\n\s+at \S+ \(/);
  for (const secret of known) {
    for (const form of echoForms(secret)) expect(output, `${secret} echoed as ${form}`).not.toContain(form);
  }
}

/** The key held for the other subscription is never lost, whatever the server did. */
function expectHeldKey(state: any) {
  expect(state.subscriptions.default[HELD_ID].key).toBe(HELD_KEY);
}

const echo: Handler = (_req, res) => {
  res.writeHead(400, { 'content-type': 'application/json' });
  res.end(echoBody());
};

const MODES: [string, string[]][] = [
  ['human', []],
  ['--json', ['--json']],
  ['--debug', ['--debug']],
  ['--json --debug', ['--json', '--debug']],
];

describe('echoed secrets: every command, every output mode, every encoding', () => {
  // A 400 is final for every command: login's is a rejected login (4), the others' a failure (1).
  const cases = Object.entries({ login: 4, status: 1, subscribe: 1, renew: 1, unsubscribe: 1 }).flatMap(([command, code]) =>
    MODES.map(([mode, flags]) => [command, mode, flags, code] as const),
  );
  it.each(cases)('%s (%s): a 400 echoing the secret, the token and a held key leaks none of them', async (command, _, flags, code) => {
    const { run, state } = await attack(command, { [COMMANDS[command]!.route]: echo }, flags);
    expectClean(run, code, command === 'login' ? [SECRET, HELD_KEY] : undefined, flags.includes('--debug'));
    expect(`${run.stdout}${run.stderr}`).toContain('[redacted]');
    expectHeldKey(state);
  });

  it.each(MODES)("renew (%s): the old webhook's delete echoing them leaks none, and the new key is kept", async (_, flags) => {
    const { run, state } = await attack('renew', { delete: echo }, flags);
    expectClean(run, 0, undefined, flags.includes('--debug'));
    expect(state.subscriptions.default['created-1'].key).toBe(CREATED_KEY);
    expect(state.subscriptions.default[DUE_ID].lastDeleteError).toContain('[redacted]');
    expectHeldKey(state);
  });

  it('login: a 401 invalid_client echoing the secret is a rejected login (4) that names no secret', async () => {
    const { run } = await attack('login', {
      token: (_req, res) => {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'invalid_client', error_description: `bad secret ${echoForms(SECRET).join(' ')}` }));
      },
    });
    expectClean(run, 4, [SECRET, HELD_KEY]);
  });
});

const redirect =
  (status: number, to: (ctx: { origin: string; elsewhere: string }) => string): Handler =>
  (_req, res, ctx) => {
    res.writeHead(status, { location: to(ctx) });
    res.end();
  };

describe('redirects: secrets go only where they belong', () => {
  it.each([
    ['login', 'token', 307, 'elsewhere', (c: { elsewhere: string }) => `${c.elsewhere}/token`],
    ['login', 'token', 308, 'the same origin', (c: { origin: string }) => `${c.origin}/token?again`],
    ['status', 'list', 302, 'elsewhere', (c: { elsewhere: string }) => `${c.elsewhere}/api/webhooks`],
    ['subscribe', 'create', 307, 'elsewhere', (c: { elsewhere: string }) => `${c.elsewhere}/api/webhooks`],
    ['subscribe', 'create', 308, 'the same origin', (c: { origin: string }) => `${c.origin}/api/webhooks?again`],
    ['renew', 'create', 307, 'elsewhere', (c: { elsewhere: string }) => `${c.elsewhere}/api/webhooks`],
    ['unsubscribe', 'delete', 307, 'elsewhere', (c: { elsewhere: string }) => `${c.elsewhere}/api/webhooks/${HELD_ID}`],
    ['unsubscribe', 'delete', 308, 'the same origin', (c: { origin: string }) => `${c.origin}/api/webhooks/${HELD_ID}?again`],
  ] as const)('%s: a %s answered %i to %s is refused (exit 1); nothing is sent there', async (command, route, status, _, to) => {
    const { run, protime, state } = await attack(command, { [route]: redirect(status, to as never) });
    expectClean(run, 1, command === 'login' ? [SECRET, HELD_KEY] : undefined);
    expect(run.stderr).toMatch(/redirect/i);
    expect(protime.elsewhereSeen).toEqual([]);
    expect(protime.seen.filter((s) => s.url.includes('again'))).toEqual([]);
    expect(JSON.stringify(state)).not.toMatch(/from-elsewhere/);
    if (command !== 'login') expectHeldKey(state);
  });

  it('status: a GET redirect within the API origin is followed, with the token, and the list is read', async () => {
    const moved: Handler = (req, res, ctx) => {
      if (req.url?.includes('moved')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        const validUntil = new Date(Date.now() + 20 * 86400_000).toISOString();
        const held = {
          id: HELD_ID,
          validUntil,
          status: 'Enabled',
          destinationUrl: `https://hooks.example.com/${HELD_ID}`,
          collectionName: 'contracts',
        };
        return res.end(JSON.stringify({ value: [held] }));
      }
      res.writeHead(302, { location: `${ctx.origin}/api/webhooks?moved=1` });
      res.end();
    };
    const { run, protime } = await attack('status', { list: moved }, ['--json']);
    // The moved list holds one of the two: read, so one is ok and the other missing (5).
    expectClean(run, 5);
    expect(JSON.parse(run.stdout).subscriptions.map((s: any) => [s.id, s.state])).toEqual([
      [DUE_ID, 'missing'],
      [HELD_ID, 'ok'],
    ]);
    expect(protime.seen.filter((s) => s.url.includes('moved')).map((s) => s.authorization)).toEqual([`Bearer ${TOKEN}`]);
  });
});

const created =
  (location: (ctx: { origin: string; elsewhere: string }) => string): Handler =>
  (_req, res, ctx) => {
    const validUntil = new Date(Date.now() + 30 * 86400_000).toISOString();
    res.writeHead(201, { 'content-type': 'application/json', location: location(ctx) });
    res.end(JSON.stringify({ validUntil, status: 'Enabled', key: CREATED_KEY }));
  };

describe('a 201 whose id is only in Location', () => {
  it.each([
    ['another origin', (c: { elsewhere: string }) => `${c.elsewhere}/api/webhooks/evil-1`],
    ['another path on the API origin', (c: { origin: string }) => `${c.origin}/elsewhere/evil-1`],
  ])('on %s: no id is taken from it; subscribe fails clearly (exit 1) and stores no such record', async (_, location) => {
    const { run, state } = await attack('subscribe', { create: created(location as never) }, ['--json']);
    expectClean(run, 1);
    expect(run.stdout).toMatch(/Location/);
    expect(JSON.stringify(state.subscriptions)).not.toContain('evil-1');
    expectHeldKey(state);
  });

  it('under the API root: the id is taken and the key stored (exit 0)', async () => {
    const { run, state } = await attack('subscribe', { create: created((c) => `${c.origin}/api/webhooks/good-1`) }, ['--json']);
    expectClean(run, 0);
    expect(state.subscriptions.default['good-1'].key).toBe(CREATED_KEY);
  });
});

// 256 MiB of zeros compress to about 256 KiB: inflated in full, it alone would pass the bound.
let bomb: Buffer;
let baselineRss = 0;
beforeAll(async () => {
  bomb = gzipSync(Buffer.alloc(256 * MiB), { level: 9 });
  const protime = await HostileProtime.start({});
  servers.push(protime);
  const run = await runMeasured(['status'], { PROTIME_HOOKS_CONFIG_DIR: await protime.seed() });
  // 3: the due subscription is renew-due, which is what an ordinary status says here.
  expect(run.code, run.stderr).toBe(3);
  baselineRss = run.peakRss;
});

const BODIES: [string, (status: number) => Handler][] = [
  [
    'a declared 500 MiB',
    (status) => (_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(500 * MiB) });
      res.write('{"value":[');
    },
  ],
  [
    'an endless chunked body',
    (status) => (_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    },
  ],
  [
    'a gzip bomb (256 MiB inflated)',
    (status) => (_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(bomb.length) });
      res.end(bomb);
    },
  ],
];

describe('huge, endless and bomb bodies: refused at the cap, peak RSS bounded', () => {
  const cases = (['login', 'status', 'subscribe', 'unsubscribe'] as const).flatMap((command) =>
    BODIES.map(([what, body]) => [command, what, body] as const),
  );
  it.each(cases)('%s: %s is response-too-large (exit 1), within 64 MiB of an ordinary run', async (command, _, body) => {
    // A delete's 204 has no body to read: its failure answer is the one that must be capped.
    const status = command === 'unsubscribe' ? 400 : command === 'subscribe' ? 201 : 200;
    const { run, state } = await attack(command, { [COMMANDS[command]!.route]: body(status) }, ['--json']);
    expectClean(run, 1);
    expect(run.stdout).toContain('response-too-large');
    expect(run.peakRss).toBeGreaterThan(0);
    expect(run.peakRss - baselineRss, `peak ${run.peakRss} vs ordinary ${baselineRss}`).toBeLessThan(64 * MiB);
    if (command !== 'login') expectHeldKey(state);
  });
});

describe('malformed list items', () => {
  const list: Handler = (_req, res) => {
    const validUntil = new Date(Date.now() + 20 * 86400_000).toISOString();
    const good = {
      id: HELD_ID,
      validUntil,
      status: 'Enabled',
      destinationUrl: `https://hooks.example.com/${HELD_ID}`,
      collectionName: 'contracts',
    };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ value: [good, null, 'text', { id: DUE_ID, validUntil: 'soon' }, { id: 'evil\u001b]0;x\u0007', status: 5 }] }));
  };

  it('status reads the good one, marks ours unreadable, names each bad one escaped, exits 1', async () => {
    const { run } = await attack('status', { list }, ['--json']);
    expectClean(run, 1);
    const states = Object.fromEntries(JSON.parse(run.stdout).subscriptions.map((s: any) => [s.id, s.state]));
    expect(states).toEqual({ [HELD_ID]: 'ok', [DUE_ID]: 'unreadable' });
    expect([...run.stderr].filter((c) => c === '\u001b' || c === '\u0007')).toEqual([]);
    expect(run.stderr).toContain('evil?]0;x?');
  });

  it('renew replaces nothing it cannot read (the due one stays, exit 1) and keeps every key', async () => {
    const { run, protime, state } = await attack('renew', { list }, ['--json']);
    expectClean(run, 1);
    expect(protime.seen.filter((s) => s.method !== 'GET')).toEqual([]);
    expect(Object.keys(state.subscriptions.default).sort()).toEqual([DUE_ID, HELD_ID]);
    expectHeldKey(state);
  });
});

/** A JWT whose exp is `seconds` from now: the lifetime when expires_in says nothing usable. */
function jwtExpiringIn(seconds: number): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none' })}.${part({ exp: Math.floor(Date.now() / 1000) + seconds })}.sig`;
}

describe('token lifetimes: expires_in missing, zero, negative, huge, malformed', () => {
  it.each([
    ['missing', {}, 300],
    ['0', { expires_in: 0 }, 300],
    ['negative', { expires_in: -60 }, 300],
    ['huge (1e13)', { expires_in: 1e13 }, 86_400],
    ['a string', { expires_in: 'soon' }, 300],
    ['missing, with a JWT exp in 2 h', { jwt: 7200 }, 7200],
  ] as const)('%s: login succeeds (exit 0) and the token is kept for the right time', async (_, answer, seconds) => {
    const accessToken = 'jwt' in answer ? jwtExpiringIn(answer.jwt) : TOKEN;
    const body = 'jwt' in answer ? {} : answer;
    const { run, state } = await attack('login', {
      token: (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ access_token: accessToken, token_type: 'Bearer', ...body }));
      },
    });
    expectClean(run, 0);
    const left = (Date.parse(state.profiles.default.token.expiresAt) - Date.now()) / 1000;
    expect(left).toBeGreaterThan(seconds - 60);
    expect(left).toBeLessThanOrEqual(seconds);
  });
});
