/**
 * Ten `renew` processes at once on the PostgreSQL store: the cases of the file store's overlap test
 * (overlap-core.ts: without --wait one renews and nine exit 75 run-locked; after a SIGKILLed holder
 * one takes over, the lock freed by the server; with --wait all exit 0), and two hosts (two config
 * dirs) sharing one database with the ten runs split across them. Each due subscription is replaced
 * exactly once: 3 POST /webhooks, one Enabled webhook per destination, its key in the database.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { postgresSkip } from '../helpers/postgres.js';
import { removeTempDirs, stopAll } from './emulator-process.js';
import { describeOverlap, expectWaitersRenewOnce, PROCESSES, threeDue } from './overlap-core.js';
import { sharedPostgresBackend } from './store-backends.js';

const { backend } = sharedPostgresBackend('overlap');
afterEach(async () => {
  await stopAll();
  removeTempDirs();
});

describe.skipIf(postgresSkip)('ten renew processes at once on one profile, PostgreSQL store', { timeout: 120_000 }, () => {
  describeOverlap(backend);

  it(`two hosts sharing one database, ${PROCESSES} renews at once split across them with --wait: each due subscription replaced exactly once`, async () => {
    const due = await threeDue(backend(), 2);
    expect(due.users[0]!.configDir).not.toBe(due.users[1]!.configDir);
    await expectWaitersRenewOnce(due, 'postgres store, two hosts, --wait 30s');
  });
});
