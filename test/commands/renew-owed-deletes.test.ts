import { expect, it } from 'vitest';
import { type Backend, forEachBackend } from '../helpers/backends.js';
import { makeWebhook, mockList, NOW } from '../helpers/protime.js';
import { dueRecord, mockCreate, mockDelete, records, serverOf, watchDeletes } from './renew-helpers.js';

const MINUTE = 60_000;
const later = (ms: number) => new Date(NOW.getTime() + ms);
const iso = (ms: number) => later(ms).toISOString();
const newOne = makeWebhook({ id: 'new-x', validUntil: '2026-07-01T12:00:00Z' });

/** Run 1 at NOW: the replacement is made, the old webhook's delete fails (1 try + 3 retries). */
async function renewedButNotDeleted(backend: Backend) {
  const { dir } = backend;
  const old = dueRecord();
  await backend.seed({ records: [old] });
  mockList([serverOf(old)]);
  mockCreate({ id: 'new-x' });
  mockDelete(old.id, 500, 4);
  const first = await backend.run(['renew', '--json', '--config-dir', dir], { now: NOW });
  return { dir, old, first };
}

forEachBackend('renew: a delete that keeps failing', (backend) => {
  it('is a blip once (exit 0), waits out its backoff without a request, then exits 75 until it succeeds', async () => {
    const { dir, old, first } = await renewedButNotDeleted(backend);
    // One blip is not an alert: the replacement worked.
    expect(first.code).toBe(0);
    expect(first.json().results).toMatchObject([{ action: 'renewed', oldId: old.id, newId: 'new-x', error: null }]);
    expect(first.stderr).toContain(`Renewed ${old.id}, but deleting it failed`);
    expect(first.stderr).toContain(`from ${iso(5 * MINUTE)} on`);
    expect(first.sleeps).toHaveLength(3);
    let stored = (await records(backend))[old.id]!;
    expect(stored).toMatchObject({ replacedBy: 'new-x', deleteFailures: 1, deleteFailingSince: iso(0), nextDeleteAt: iso(5 * MINUTE) });
    expect(stored.lastDeleteError).toMatch(/\S/);
    expect(stored.deletedAt).toBeUndefined();
    const firstError = stored.lastDeleteError!;

    // Run 2, a minute later: inside the backoff, so no DELETE at all; still owed since an earlier run → 75.
    mockList([serverOf(old), newOne]);
    const watch = watchDeletes();
    const second = await backend.run(['renew', '--json', '--config-dir', dir], { now: later(MINUTE) });
    watch.stop();
    expect(watch.paths).toEqual([]);
    expect(second.code).toBe(75);
    const deferred = second.json().results;
    expect(deferred).toEqual([
      {
        action: 'deferred',
        oldId: old.id,
        newId: 'new-x',
        collection: 'contracts',
        destinationUrl: old.destinationUrl,
        key: null,
        validUntil: null,
        error: expect.stringContaining(`since ${iso(0)} (${firstError}); next try from ${iso(5 * MINUTE)}`),
        errorCode: 'delete-failed',
        deployed: null,
        hookErrors: [],
      },
    ]);
    expect(second.stderr).toContain(`Not trying to delete replaced webhook ${old.id} yet (backoff)`);
    expect(second.stderr).toContain('1 deferred; 1 replaced webhook(s) could not be deleted since an earlier run');
    expect(second.sleeps).toEqual([]);
    expect((await records(backend))[old.id]).toEqual(stored);

    // Run 3, past the backoff: one more attempt (with the HTTP layer's retries) fails → 75, backoff doubled.
    mockList([serverOf(old), newOne]);
    mockDelete(old.id, 500, 4);
    const third = await backend.run(['renew', '--json', '--config-dir', dir], { now: later(6 * MINUTE) });
    expect(third.code).toBe(75);
    expect(third.json().results).toMatchObject([{ action: 'failed', oldId: old.id, newId: 'new-x', errorCode: 'delete-failed' }]);
    expect(third.stderr).toContain(`Still cannot delete replaced webhook ${old.id}: its delete has failed 2 time(s) since ${iso(0)}`);
    expect(third.stderr).toContain(firstError);
    expect(third.sleeps).toHaveLength(3);
    stored = (await records(backend))[old.id]!;
    expect(stored).toMatchObject({ deleteFailures: 2, deleteFailingSince: iso(0), nextDeleteAt: iso(16 * MINUTE) });
    expect(stored.deletedAt).toBeUndefined();

    // Run 4: the delete goes through; the failure fields are gone and the run is silent in JSON.
    mockList([serverOf(old), newOne]);
    mockDelete(old.id);
    const fourth = await backend.run(['renew', '--json', '--config-dir', dir], { now: later(17 * MINUTE) });
    expect(fourth.code).toBe(0);
    expect(fourth.json()).toEqual({ profile: 'default', results: [] });
    expect(fourth.stderr).toContain(`Deleted webhook ${old.id}, replaced earlier by new-x`);
    stored = (await records(backend))[old.id]!;
    expect(stored.deletedAt).toBe(iso(17 * MINUTE));
    for (const field of ['deleteFailures', 'deleteFailingSince', 'nextDeleteAt', 'lastDeleteError'])
      expect(stored).not.toHaveProperty(field);
  });

  it('a 404 on the retry counts as deleted and clears the failure', async () => {
    const { dir, old } = await renewedButNotDeleted(backend);
    mockList([newOne]);
    mockDelete(old.id, 404);
    const retry = await backend.run(['renew', '--json', '--config-dir', dir], { now: later(6 * MINUTE) });
    expect(retry.code).toBe(0);
    expect(retry.json().results).toEqual([]);
    const stored = (await records(backend))[old.id]!;
    expect(stored.deletedAt).toBe(iso(6 * MINUTE));
    expect(stored).not.toHaveProperty('deleteFailures');
  });

  it('a retry refused outright (400) needs a person: exit 1, not 75', async () => {
    const { dir, old } = await renewedButNotDeleted(backend);
    mockList([serverOf(old), newOne]);
    mockDelete(old.id, 400);
    const retry = await backend.run(['renew', '--json', '--config-dir', dir], { now: later(6 * MINUTE) });
    expect(retry.code).toBe(1);
    expect(retry.json().results).toMatchObject([{ action: 'failed', oldId: old.id, errorCode: 'delete-failed' }]);
    expect((await records(backend))[old.id]).toMatchObject({ deleteFailures: 2, nextDeleteAt: iso(16 * MINUTE) });
  });

  it('--dry-run shows the same deferral and exit code, and only says it would retry once the backoff passed', async () => {
    const { dir, old } = await renewedButNotDeleted(backend);
    const before = await backend.read();

    mockList([serverOf(old), newOne]);
    const watch = watchDeletes();
    const within = await backend.run(['renew', '--dry-run', '--json', '--config-dir', dir], { now: later(MINUTE) });
    expect(within.code).toBe(75);
    expect(within.json().results).toMatchObject([{ action: 'deferred', oldId: old.id, newId: 'new-x', errorCode: 'delete-failed' }]);

    mockList([serverOf(old), newOne]);
    const past = await backend.run(['renew', '--dry-run', '--json', '--config-dir', dir], { now: later(6 * MINUTE) });
    watch.stop();
    expect(watch.paths).toEqual([]);
    expect(past.code).toBe(0);
    expect(past.json().results).toEqual([]);
    expect(past.stderr).toContain(`Would delete webhook ${old.id}, replaced earlier by new-x`);
    expect(await backend.read()).toEqual(before);
  });
});
