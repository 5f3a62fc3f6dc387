import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { forEachBackend } from '../helpers/backends.js';
import { tempDir } from '../helpers/cli.js';
import { makeRecord, mockList, NOW, TENANT } from '../helpers/protime.js';
import { at, DAY, dueRecord, mockCreate, mockDelete, records, serverOf, URL } from './renew-helpers.js';

/** A hook that writes what it was given (stdin, its argv, its environment, its cwd) into `out`. */
function recordingHook(out: string): string {
  return `cat > ${out}/stdin; printf '%s\\n' "$0" "$@" > ${out}/argv; env > ${out}/env; pwd > ${out}/cwd`;
}

function envOf(file: string): Record<string, string> {
  return Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

/** Running, as opposed to gone or a zombie (killed, waiting for whoever adopted it to reap it). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

forEachBackend('deploy hooks in renew', (backend) => {
  it('hand the new key over on stdin only, with the documented environment, before the old webhook is deleted', async () => {
    const { dir } = backend;
    const out = tempDir();
    const old = dueRecord({ deployHook: recordingHook(out) });
    await backend.seed({ records: [old] });
    mockList([serverOf(old)]);
    mockCreate({ id: 'new-1', key: 'key-new-1-secret' });
    mockDelete(old.id);

    const result = await backend.run(['renew', '--json', '--config-dir', dir], {
      now: NOW,
      env: { PROTIME_CLIENT_SECRET: 'must-not-reach-hooks', KEEP_ME: 'yes' },
    });
    expect(result.code).toBe(0);
    expect(result.json().results).toMatchObject([{ action: 'renewed', newId: 'new-1', deployed: true, hookErrors: [] }]);
    expect(readFileSync(join(out, 'stdin'), 'utf8')).toBe('key-new-1-secret\n');
    expect(readFileSync(join(out, 'argv'), 'utf8')).not.toContain('key-new-1-secret');
    expect(readFileSync(join(out, 'cwd'), 'utf8').trim()).toBe(dir);
    const env = envOf(join(out, 'env'));
    expect(Object.values(env).some((v) => v.includes('key-new-1-secret'))).toBe(false);
    expect(env).toMatchObject({
      PROTIME_HOOKS_EVENT: 'renewed',
      PROTIME_HOOKS_PROFILE: 'default',
      PROTIME_HOOKS_TENANT: TENANT,
      PROTIME_HOOKS_COLLECTION: 'contracts',
      PROTIME_HOOKS_DESTINATION_URL: URL,
      PROTIME_HOOKS_WEBHOOK_ID: 'new-1',
      PROTIME_HOOKS_PREVIOUS_WEBHOOK_ID: old.id,
      PROTIME_HOOKS_VALID_UNTIL: '2026-07-01T12:00:00.000Z',
      PROTIME_HOOKS_RESYNC_REQUIRED: '0',
      KEEP_ME: 'yes',
    });
    expect(env.PROTIME_CLIENT_SECRET).toBeUndefined();
    // The hook is inherited by the new subscription, the old one deleted, nothing left pending.
    const stored = await records(backend);
    expect(stored['new-1']).toMatchObject({ deployHook: old.deployHook, key: 'key-new-1-secret' });
    expect(stored['new-1']!.deployPending).toBeUndefined();
    expect(stored[old.id]!.deletedAt).toBe(NOW.toISOString());
  });

  it('a failing hook keeps the old webhook and leaves the new one deploy-pending (renew 1, status 3); a fixed hook finishes it', async () => {
    const { dir } = backend;
    const old = dueRecord({ deployHook: 'cat > /dev/null; echo "receiver is down" >&2; exit 7' });
    await backend.seed({ records: [old] });
    mockList([serverOf(old)]);
    mockCreate({ id: 'new-1', key: 'key-new-1-secret' });
    // No DELETE is mocked: one would fail the test through nock's pending/unmatched checks.
    const failed = await backend.run(['renew', '--json', '--config-dir', dir], { now: NOW });
    expect(failed.code).toBe(1);
    expect(failed.json().results).toMatchObject([
      { action: 'renewed', oldId: old.id, newId: 'new-1', deployed: false, hookErrors: ['exited with code 7'], errorCode: 'deploy-failed' },
    ]);
    expect(failed.stderr).toContain('receiver is down');
    expect(failed.stderr).toContain(`${old.id} is kept until they do`);
    let stored = await records(backend);
    expect(stored[old.id]).toMatchObject({ replacedBy: 'new-1', key: old.key });
    expect(stored[old.id]!.deletedAt).toBeFalsy();
    expect(stored['new-1']!.deployPending).toMatchObject({ event: 'renewed', previousId: old.id, errors: ['exited with code 7'] });

    const server = [serverOf(old), serverOf(makeRecord({ id: 'new-1', validUntil: at(30 * DAY) }))];
    mockList(server);
    const status = await backend.run(['status', '--json', '--config-dir', dir], { now: NOW });
    expect(status.code).toBe(3);
    const states = Object.fromEntries(status.json().subscriptions.map((s: { id: string; state: string }) => [s.id, s.state]));
    expect(states).toEqual({ 'new-1': 'deploy-pending', [old.id]: 'replaced' });
    expect(status.json().summary.deployPending).toBe(1);

    // The old key stays accepted meanwhile.
    const keys = await backend.run(['keys', '--json', '--config-dir', dir], { now: NOW });
    expect(
      keys
        .json()
        .map((k: { id: string }) => k.id)
        .sort(),
    ).toEqual([old.id, 'new-1'].sort());

    mockList(server);
    mockDelete(old.id);
    const fixed = await backend.run(['renew', '--json', '--deploy-hook', 'cat > /dev/null', '--config-dir', dir], { now: NOW });
    expect(fixed.code).toBe(0);
    expect(fixed.json().results).toMatchObject([{ action: 'deployed', oldId: old.id, newId: 'new-1', deployed: true, hookErrors: [] }]);
    stored = await records(backend);
    expect(stored[old.id]!.deletedAt).toBe(NOW.toISOString());
    expect(stored['new-1']!.deployPending).toBeUndefined();
    expect(stored['new-1']!.deployHook).toBe('cat > /dev/null');
  });

  it('a hook that times out is killed with its children within the timeout plus 2 s, and has failed', async () => {
    const { dir } = backend;
    const out = tempDir();
    const old = dueRecord({ deployHook: `sleep 30 & echo $! > ${out}/child; wait` });
    await backend.seed({ records: [old] });
    mockList([serverOf(old)]);
    mockCreate({ id: 'new-1' });
    const started = Date.now();
    const result = await backend.run(['renew', '--json', '--hook-timeout', '1s', '--config-dir', dir], { now: NOW });
    const elapsed = Date.now() - started;
    expect(result.code).toBe(1);
    expect(result.json().results[0]).toMatchObject({ deployed: false, hookErrors: ['timed out after 1s and was killed'] });
    expect(elapsed).toBeLessThan(3000);
    const child = Number(readFileSync(join(out, 'child'), 'utf8'));
    // Killed with the group by the time renew returned.
    expect(alive(child)).toBe(false);
  });

  it('a hook that reads no stdin and exits 0 has succeeded (no EPIPE failure)', async () => {
    const { dir } = backend;
    const old = dueRecord({ deployHook: 'exit 0' });
    await backend.seed({ records: [old] });
    mockList([serverOf(old)]);
    mockCreate({ id: 'new-1', key: 'x'.repeat(200_000) });
    mockDelete(old.id);
    const result = await backend.run(['renew', '--json', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(0);
    expect(result.json().results[0]).toMatchObject({ deployed: true, hookErrors: [] });
  });

  it('runs the subscription hook, then every executable in hooks/deploy/ in name order; a recreate says a re-sync is needed', async () => {
    const { dir } = backend;
    const log = join(tempDir(), 'order');
    mkdirSync(join(dir, 'hooks', 'deploy'), { recursive: true });
    for (const [name, mode] of [
      ['20-second', 0o755],
      ['10-first', 0o755],
      ['30-not-executable', 0o644],
    ] as const) {
      const file = join(dir, 'hooks', 'deploy', name);
      writeFileSync(file, `#!/bin/sh\necho "${name} $PROTIME_HOOKS_EVENT $PROTIME_HOOKS_RESYNC_REQUIRED" >> ${log}\n`);
      chmodSync(file, mode);
    }
    const expired = makeRecord({ validUntil: at(-DAY), createdAt: at(-31 * DAY), deployHook: `echo "own $PROTIME_HOOKS_EVENT" >> ${log}` });
    await backend.seed({ records: [expired] });
    mockList([serverOf(expired)]);
    mockCreate({ id: 'new-1' });
    mockDelete(expired.id);
    const result = await backend.run(['renew', '--recreate', '--json', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(0);
    expect(result.json().results[0]).toMatchObject({ action: 'recreated', deployed: true });
    expect(readFileSync(log, 'utf8')).toBe('own recreated\n10-first recreated 1\n20-second recreated 1\n');
  });

  it('renew --dry-run --run-deploy-hooks hands each planned subscription its current key as event dry-run, and creates nothing', async () => {
    const { dir } = backend;
    const out = tempDir();
    const old = dueRecord({ key: 'current-key-123', deployHook: recordingHook(out) });
    await backend.seed({ records: [old] });
    mockList([serverOf(old)]);
    const result = await backend.run(['renew', '--dry-run', '--run-deploy-hooks', '--json', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(0);
    expect(result.json().results).toMatchObject([{ action: 'planned', oldId: old.id, deployed: true }]);
    expect(readFileSync(join(out, 'stdin'), 'utf8')).toBe('current-key-123\n');
    expect(envOf(join(out, 'env'))).toMatchObject({ PROTIME_HOOKS_EVENT: 'dry-run', PROTIME_HOOKS_WEBHOOK_ID: old.id });

    const misuse = await backend.run(['renew', '--run-deploy-hooks', '--config-dir', dir], { now: NOW });
    expect(misuse.code).toBe(2);
    expect(misuse.stderr).toContain('--run-deploy-hooks goes with --dry-run');
  });

  it('never lets a hook put the key on stderr, even with --debug', async () => {
    const { dir } = backend;
    const old = dueRecord({ deployHook: 'cat >&2' });
    await backend.seed({ records: [old] });
    mockList([serverOf(old)]);
    mockCreate({ id: 'new-1', key: 'key-new-1-secret' });
    mockDelete(old.id);
    const result = await backend.run(['renew', '--debug', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('[redacted]');
    expect(result.stderr).not.toContain('key-new-1-secret');
    expect((await records(backend))['new-1']?.key).toBe('key-new-1-secret');
  });
});

forEachBackend('deploy hooks in subscribe, --no-deploy-hook, and the keys file noticing time', (backend) => {
  it('subscribe with a failing hook prints the key, stores the subscription deploy-pending and exits 1', async () => {
    const { dir } = backend;
    await backend.seed();
    mockList([]);
    mockCreate({ id: 'sub-1', key: 'key-sub-1-secret' });
    const result = await backend.run(['subscribe', 'contracts', '--url', URL, '--deploy-hook', 'exit 4', '--json', '--config-dir', dir], {
      now: NOW,
    });
    expect(result.code).toBe(1);
    expect(result.json()).toMatchObject({
      created: true,
      id: 'sub-1',
      key: 'key-sub-1-secret',
      deployed: false,
      hookErrors: ['exited with code 4'],
    });
    expect((await records(backend))['sub-1']).toMatchObject({
      key: 'key-sub-1-secret',
      deployHook: 'exit 4',
      deployPending: { event: 'created', previousId: null, errors: ['exited with code 4'] },
    });
  });

  it('renew --no-deploy-hook drops the inherited hook: it does not run, and deployed is null', async () => {
    const { dir } = backend;
    const marker = join(tempDir(), 'ran');
    const old = dueRecord({ deployHook: `touch ${marker}` });
    await backend.seed({ records: [old] });
    mockList([serverOf(old)]);
    mockCreate({ id: 'new-1' });
    mockDelete(old.id);
    const result = await backend.run(['renew', '--no-deploy-hook', '--json', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(0);
    expect(result.json().results[0]).toMatchObject({ action: 'renewed', deployed: null, hookErrors: [] });
    expect(existsSync(marker)).toBe(false);
    expect((await records(backend))['new-1']!.deployHook).toBeNull();
  });

  it('any command notices a replaced key passing its validUntil and rewrites the keys file without it', async () => {
    const { dir } = backend;
    const keysFile = join(tempDir(), 'keys.json');
    const current = makeRecord({ id: 'cur', key: 'key-current-123', validUntil: at(20 * DAY) });
    const gone = makeRecord({ id: 'gone', key: 'key-gone-123456', validUntil: at(-60_000), replacedBy: 'cur', deletedAt: at(-DAY) });
    const store = await backend.seed({ records: [current, gone] });
    await store.update((data) => {
      data.profiles.default!.keysFile = keysFile;
    });
    writeFileSync(keysFile, '[{"id":"gone","key":"key-gone-123456"}]\n');
    const status = await backend.run(['status', '--offline', '--config-dir', dir], { now: NOW });
    expect(status.code).toBe(0);
    const doc = JSON.parse(readFileSync(keysFile, 'utf8')) as Array<{ id: string }>;
    expect(doc.map((k) => k.id)).toEqual(['cur']);
    const keys = await backend.run(['keys', '--json', '--config-dir', dir], { now: NOW });
    expect(readFileSync(keysFile, 'utf8')).toBe(keys.stdout);
  });
});
