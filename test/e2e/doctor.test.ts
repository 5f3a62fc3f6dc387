/**
 * `doctor`, the built binary against a small real Protime on 127.0.0.1: every check named in the
 * contract, each line `ok|warn|fail name: detail`, the exit code (0 all ok, 3 a warning, 1 a
 * failure), and problems a person meets when cron mails: a readable state file, a hook that cannot
 * run, a keys file folder gone, a wrong secret, an unreachable API, a clock off.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDirs } from './emulator-process.js';
import { type Handler, HostileProtime, runMeasured, SECRET, TOKEN } from './hostile-server.js';

const servers: HostileProtime[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.stop();
});
afterAll(removeTempDirs);

const NAMES = ['config-dir', 'state-file', 'state', 'login', 'token', 'api', 'clock', 'hooks', 'keys-file', 'store'];

async function doctor(hostile: Partial<Record<'token' | 'list', Handler>> = {}, prepare: (dir: string) => void = () => {}) {
  const protime = await HostileProtime.start(hostile);
  servers.push(protime);
  const dir = await protime.seed();
  prepare(dir);
  const env = { PROTIME_HOOKS_CONFIG_DIR: dir, PATH: process.env.PATH ?? '' };
  const human = await runMeasured(['doctor'], env);
  const json = await runMeasured(['doctor', '--json'], env);
  const checks = JSON.parse(json.stdout).checks as { name: string; status: string; detail: string }[];
  const statuses = Object.fromEntries(checks.map((c) => [c.name, c.status]));
  return { human, json, checks, statuses, dir };
}

/** Edits state.json in place, as a person with an editor would. */
function editState(dir: string, change: (state: any) => void) {
  const file = join(dir, 'state.json');
  const state = JSON.parse(readFileSync(file, 'utf8'));
  change(state);
  writeFileSync(file, JSON.stringify(state));
}

const dated =
  (offsetMs: number): Handler =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', date: new Date(Date.now() + offsetMs).toUTCString() });
    res.end(JSON.stringify({ value: [] }));
  };

describe('doctor', () => {
  it('on a healthy profile: every check ok, one line each in contract order, exit 0, the same in JSON', async () => {
    const keysDir = makeTempDir('ph-keys-');
    const { human, json, checks } = await doctor({}, (dir) => {
      editState(dir, (s) => {
        s.profiles.default.keysFile = join(keysDir, 'keys.json');
        s.subscriptions.default['held-1'].deployHook = 'cat > /dev/null';
      });
      writeFileSync(join(keysDir, 'keys.json'), '[]', { mode: 0o600 });
      chmodSync(join(dir, 'state.json'), 0o600);
    });
    expect(human.code, human.stderr).toBe(0);
    expect(json.code).toBe(0);
    expect(checks.map((c) => c.name)).toEqual(NAMES);
    expect(checks.every((c) => c.status === 'ok')).toBe(true);
    const lines = human.stdout.trimEnd().split('\n');
    expect(lines.map((l) => /^(ok|warn|fail) ([a-z-]+): \S/.exec(l)?.[2])).toEqual(NAMES);
    expect(human.stdout).toMatch(/^ok clock: this clock is (within a second of the server|1 s (ahead of|behind) the server)$/m);
    expect(human.stdout).toContain('ok hooks: 1 subscription hook(s), 0 in hooks/deploy/, all runnable');
    expect(human.stdout).toMatch(/^ok api: GET http:\/\/127\.0\.0\.1:\d+\/api\/webhooks answered 200 \(direct\)$/m);
    for (const secret of [SECRET, TOKEN]) expect(`${human.stdout}${human.stderr}${json.stdout}`).not.toContain(secret);
  });

  it('warns (exit 3) of a readable state file, a hook not on PATH and a deploy file without +x, and names the fix', async () => {
    const { human, statuses } = await doctor({}, (dir) => {
      editState(dir, (s) => {
        s.subscriptions.default['held-1'].deployHook = 'no-such-program-xyz --reload';
      });
      chmodSync(join(dir, 'state.json'), 0o644);
      mkdirSync(join(dir, 'hooks', 'deploy'), { recursive: true });
      writeFileSync(join(dir, 'hooks', 'deploy', 'reload'), '#!/bin/sh\n', { mode: 0o644 });
    });
    expect(human.code).toBe(3);
    // The first run found the file readable and tightened it, as every command does: the second sees it 0600.
    expect(human.stdout).toMatch(/^warn state-file: .*state\.json could be read by others \(mode 0644\); reading it made it 0600/m);
    expect(statuses).toMatchObject({ 'state-file': 'ok', hooks: 'warn', token: 'ok', api: 'ok' });
    expect(human.stdout).toContain('hook "no-such-program-xyz --reload": no-such-program-xyz is not on PATH');
    expect(human.stdout).toMatch(/hooks\/deploy\/reload is not executable and is skipped: `chmod \+x \S+reload`/);
  });

  it('fails (exit 1) when the keys file folder is gone, and goes on with the other checks', async () => {
    const { human, statuses } = await doctor({}, (dir) =>
      editState(dir, (s) => (s.profiles.default.keysFile = '/nonexistent/keys/keys.json')),
    );
    expect(human.code).toBe(1);
    expect(statuses).toMatchObject({ 'keys-file': 'fail', token: 'ok', api: 'ok', store: 'ok' });
    expect(human.stdout).toContain('fail keys-file: /nonexistent/keys does not exist or cannot be written');
  });

  it('fails the token check on a rejected secret, naming the reason, and skips the API', async () => {
    const rejected: Handler = (_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'invalid_client' }));
    };
    const { human, statuses } = await doctor({ token: rejected });
    expect(human.code).toBe(1);
    expect(statuses).toMatchObject({ login: 'ok', token: 'fail', hooks: 'ok' });
    expect(statuses.api).toBeUndefined();
    expect(human.stdout).toMatch(/^fail token: .*invalid_client/m);
  });

  it('goes the way renew goes: through the proxy of the environment (here one that is down), named in the failure', async () => {
    const protime = await HostileProtime.start({});
    servers.push(protime);
    const dir = await protime.seed();
    const run = await runMeasured(['doctor'], { PROTIME_HOOKS_CONFIG_DIR: dir, HTTP_PROXY: 'http://127.0.0.1:9' });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^fail token: .*127\.0\.0\.1:9/m);
    // Nothing reached the server itself: the proxy was the only way out.
    expect(protime.seen).toEqual([]);
  });

  it('fails the API check when the API cannot be reached, with the address', async () => {
    const { human, statuses } = await doctor({}, (dir) => editState(dir, (s) => (s.profiles.default.apiUrl = 'http://127.0.0.1:9/api')));
    expect(human.code).toBe(1);
    expect(statuses).toMatchObject({ token: 'ok', api: 'fail' });
    expect(human.stdout).toMatch(/^fail api: .*127\.0\.0\.1:9/m);
  });

  it.each([
    [90_000, 'warn', 3, /this clock is (89|90|91) s behind the server: set it right \(NTP\)/],
    [-600_000, 'fail', 1, /this clock is (599|600|601) s ahead of the server/],
  ])('compares the clock with the server Date (server off by %i ms): %s', async (offset, status, code, said) => {
    const { human, statuses } = await doctor({ list: dated(offset) });
    expect(human.code).toBe(code);
    expect(statuses.clock).toBe(status);
    expect(human.stdout).toMatch(said);
  });

  it('with no config dir: one failing check naming it, exit 1, and no folder created', async () => {
    const dir = join(makeTempDir('ph-doc-'), 'absent');
    const run = await runMeasured(['doctor', '--json'], { PROTIME_HOOKS_CONFIG_DIR: dir });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).checks).toEqual([
      {
        name: 'config-dir',
        status: 'fail',
        detail: `${dir} does not exist: run \`protime-hooks login\` (or pass the --config-dir cron uses)`,
      },
    ]);
    expect(existsSync(dir)).toBe(false);
  });
});
