import { expect, it } from 'vitest';
import { type Backend, forEachBackend } from '../helpers/backends.js';
import { API_PATH, api, mockList, NOW } from '../helpers/protime.js';
import { dueRecord, mockCreate, mockDelete, okRecord, serverOf } from './renew-helpers.js';

const runsOf = async (backend: Backend) => (await backend.read()).renewRuns?.default;
// Minutes apart: the seeded token stays valid for an hour.
const later = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);

forEachBackend('renew notes each run for monitoring: lastRunAt, lastSuccessAt, consecutiveFailures', (backend) => {
  it('counts failures in a row, keeps the last success through them, and resets on the next success', async () => {
    const { dir } = backend;
    const ok = okRecord();
    await backend.seed({ records: [ok] });

    mockList([serverOf(ok)]);
    expect((await backend.run(['renew', '--config-dir', dir], { now: NOW })).code).toBe(0);
    expect(await runsOf(backend)).toEqual({ lastRunAt: NOW.toISOString(), lastSuccessAt: NOW.toISOString(), consecutiveFailures: 0 });

    for (const [day, failures] of [
      [1, 1],
      [2, 2],
    ] as const) {
      api()
        .get(`${API_PATH}/webhooks`)
        .reply(400, { error: { code: 'BadRequest', message: 'no' } });
      expect((await backend.run(['renew', '--config-dir', dir], { now: later(day) })).code).toBe(1);
      expect(await runsOf(backend)).toEqual({
        lastRunAt: later(day).toISOString(),
        lastSuccessAt: NOW.toISOString(),
        consecutiveFailures: failures,
      });
    }

    mockList([serverOf(ok)]);
    expect((await backend.run(['renew', '--config-dir', dir], { now: later(3) })).code).toBe(0);
    expect(await runsOf(backend)).toEqual({
      lastRunAt: later(3).toISOString(),
      lastSuccessAt: later(3).toISOString(),
      consecutiveFailures: 0,
    });
  });

  it('notes nothing for a run that found the profile busy, a dry run, or an id not its own', async () => {
    const { dir } = backend;
    const ok = okRecord();
    const store = await backend.seed({ records: [ok] });
    const release = await store.runLock('default', 'another renew', { waitMs: 0 });
    try {
      expect((await backend.run(['renew', '--config-dir', dir], { now: NOW })).code).toBe(75);
    } finally {
      await release();
    }
    mockList([serverOf(ok)]);
    expect((await backend.run(['renew', '--dry-run', '--config-dir', dir], { now: NOW })).code).toBe(0);
    mockList([serverOf(ok), { ...serverOf(okRecord()), id: 'someone-elses' }]);
    expect((await backend.run(['renew', 'someone-elses', '--config-dir', dir], { now: NOW })).code).toBe(2);
    expect(await runsOf(backend)).toBeUndefined();
  });
});

forEachBackend('renew shows progress only at a terminal, and only for more than five replacements', (backend) => {
  const due = (n: number) => Array.from({ length: n }, (_, i) => dueRecord({ destinationUrl: `https://hooks.example.com/p${i}` }));

  it.each([
    [6, true, true],
    [5, true, false],
    [6, false, false],
  ])('%i due, terminal %s: progress line %s', async (count, tty, shown) => {
    const { dir } = backend;
    const records = due(count);
    await backend.seed({ records });
    mockList(records.map((r) => serverOf(r)));
    for (const [i, r] of records.entries()) {
      mockCreate({ id: `new-${i}`, destinationUrl: r.destinationUrl });
      mockDelete(r.id);
    }
    const result = await backend.run(['renew', '--config-dir', dir], { now: NOW, tty, columns: 120 });
    expect(result.code).toBe(0);
    expect(result.stderr.includes(`renewing: ${count}/${count} replaced`)).toBe(shown);
    expect(result.stderr.includes('renewing: 0/')).toBe(shown);
  });
});
