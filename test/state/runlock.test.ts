import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireRunLock } from '../../src/state/runlock.js';
import { dueRecord, openIntents, records, URL } from '../commands/renew-helpers.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { makeRecord, makeWebhook, mockList, NOW, seedStore } from '../helpers/protime.js';

const held: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const release of held.splice(0)) await release();
});

async function hold(dir: string, command = 'test-holder') {
  const release = await acquireRunLock({ dir, profile: 'default', waitMs: 0 }, command);
  held.push(release);
  return release;
}

/** What a killed run leaves behind: proper-lockfile's lock folder and an owner file naming its pid. */
function leaveLock(dir: string, owner: { pid: number; host: string }) {
  mkdirSync(join(dir, 'run-default.lock'));
  writeFileSync(join(dir, 'run-default.owner'), JSON.stringify({ ...owner, since: '2026-06-01T11:00:00.000Z', command: 'renew' }));
}

describe('the run lock', () => {
  it('a second renew exits 75 with run-locked, naming the holder, and touches nothing', async () => {
    const dir = tempDir();
    const due = dueRecord();
    await seedStore(dir, { records: [due] });
    await hold(dir);

    const json = await runCli(['renew', '--json', '--config-dir', dir], { now: NOW });
    expect(json.code).toBe(75);
    const error = json.json().error;
    expect(error.code).toBe('run-locked');
    expect(error.message).toContain('profile "default"');
    expect(error.message).toContain(`test-holder, pid ${process.pid} on ${hostname()}`);
    expect(error.hint).toContain('--wait');

    const human = await runCli(['renew', '--config-dir', dir], { now: NOW });
    expect(human.code).toBe(75);
    expect(human.stdout).toBe('');
    expect(human.stderr).toContain('Another protime-hooks run holds profile "default" (test-holder');
    expect((await records(dir))[due.id]).toEqual(due);
  });

  it('unsubscribe is held off too (exit 75)', async () => {
    const dir = tempDir();
    const record = makeRecord();
    await seedStore(dir, { records: [record] });
    await hold(dir);
    const result = await runCli(['unsubscribe', record.id, '--yes', '--json', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(75);
    expect(result.json().error.code).toBe('run-locked');
    expect((await records(dir))[record.id]).toEqual(record);
  });

  it('status does not settle open intents while a run holds the profile: that run may still get its answer', async () => {
    const dir = tempDir();
    const store = await seedStore(dir);
    await store.update((data) => {
      data.intents = {
        default: [
          {
            id: 'i1',
            kind: 'subscribe',
            collection: 'contracts',
            destinationUrl: URL,
            externalReferences: [],
            startedAt: NOW.toISOString(),
            replaces: null,
            pid: 1,
            host: 'h',
          },
        ],
      };
    });
    await hold(dir);
    mockList([makeWebhook({ id: 'in-flight' })]);
    const result = await runCli(['status', '--json', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(3);
    expect(await openIntents(dir)).toHaveLength(1);
    expect((await records(dir))['in-flight']).toBeUndefined();
  });

  it('--wait waits for the holder to finish, then runs (exit 0)', async () => {
    const dir = tempDir();
    await seedStore(dir);
    const release = await hold(dir);
    setTimeout(() => void release(), 200);
    mockList([]);
    const started = Date.now();
    const result = await runCli(['renew', '--wait', '2s', '--json', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(0);
    expect(result.json()).toEqual({ profile: 'default', results: [] });
    // Said once, before waiting: what it waits for, held by whom, for how long at most.
    expect(result.stderr).toMatch(
      new RegExp(
        `^\\[info\\] Waiting up to 2s for profile "default"'s run lock, held by test-holder, pid ${process.pid} on ${hostname()}, since \\S+\\.\n$`,
      ),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it('--wait says nothing when the lock is free', async () => {
    const dir = tempDir();
    await seedStore(dir);
    mockList([]);
    const result = await runCli(['renew', '--wait', '2s', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
  });

  it('--wait under --quiet waits in silence, and says why when it gives up', async () => {
    const dir = tempDir();
    await seedStore(dir);
    await hold(dir);
    const result = await runCli(['renew', '--wait', '1s', '--quiet', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(75);
    expect(result.stderr).toMatch(/^\[error\] Another protime-hooks run holds profile "default" \(test-holder, pid \d+/);
    expect(result.stderr).not.toContain('Waiting');
  });

  it('--wait gives up after the duration (exit 75)', async () => {
    const dir = tempDir();
    await seedStore(dir);
    await hold(dir);
    const started = Date.now();
    const result = await runCli(['renew', '--wait', '1s', '--json', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(75);
    expect(result.json().error.code).toBe('run-locked');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('takes over at once a lock whose owner pid is dead on this host', async () => {
    const dir = tempDir();
    await seedStore(dir);
    leaveLock(dir, { pid: 2147483646, host: hostname() });
    mockList([]);
    const result = await runCli(['renew', '--json', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(0);
    expect(result.json()).toEqual({ profile: 'default', results: [] });
    expect(result.stderr).toBe('');
    // Released at the end like any other run.
    expect(existsSync(join(dir, 'run-default.lock'))).toBe(false);
    expect(existsSync(join(dir, 'run-default.owner'))).toBe(false);
  });

  it('leaves alone a fresh lock held from another host (exit 75)', async () => {
    const dir = tempDir();
    await seedStore(dir);
    leaveLock(dir, { pid: 2147483646, host: 'some-other-host' });
    const result = await runCli(['renew', '--json', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(75);
    expect(result.json().error.message).toContain('on some-other-host');
    expect(existsSync(join(dir, 'run-default.lock'))).toBe(true);
  });
});
