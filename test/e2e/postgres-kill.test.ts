/**
 * The kill test on the PostgreSQL store: thirty random SIGKILLs of `renew` and `subscribe` around
 * the 201 of POST /webhooks, the state in a database of its own per batch on one throwaway cluster
 * (kill-core.ts says what is done and checked); 0 keys lost, 0 duplicates. "Stored" is read from
 * the subscriptions table (the key column), as a receiver would read it.
 *
 * KILL_SEED replays a run (as far as timing allows); KILL_ITERATIONS changes the count; KILL_VERBOSE=1
 * prints every iteration.
 */
import { afterEach, describe, it } from 'vitest';
import { postgresSkip } from '../helpers/postgres.js';
import { removeTempDirs, stopAll } from './emulator-process.js';
import { killSettings, killTest } from './kill-core.js';
import { sharedPostgresBackend } from './store-backends.js';

const { backend } = sharedPostgresBackend('kill');
afterEach(async () => {
  await stopAll();
  removeTempDirs();
});

const { iterations, seed } = killSettings(30);

describe.skipIf(postgresSkip)('SIGKILL during renew/subscribe, PostgreSQL store', () => {
  it(`${iterations} random kills around the 201 of POST /webhooks lose no key and leave no duplicate`, { timeout: 240_000 }, async () => {
    await killTest(backend(), iterations, seed);
  });
});
