/**
 * End-to-end kill test on the file store: fifty random SIGKILLs of `renew` and `subscribe` around
 * the 201 of POST /webhooks (kill-core.ts says what is done and checked); 0 keys lost, 0 duplicates.
 *
 * KILL_SEED replays a run (as far as timing allows); KILL_ITERATIONS changes the count; KILL_VERBOSE=1
 * prints every iteration.
 */
import { afterEach, describe, it } from 'vitest';
import { removeTempDirs, stopAll } from './emulator-process.js';
import { killSettings, killTest } from './kill-core.js';
import { fileBackend } from './store-backends.js';

afterEach(async () => {
  await stopAll();
  removeTempDirs();
});

const { iterations, seed } = killSettings(50);

describe('SIGKILL during renew/subscribe', () => {
  it(`${iterations} random kills around the 201 of POST /webhooks lose no key and leave no duplicate`, { timeout: 300_000 }, async () => {
    await killTest(fileBackend, iterations, seed);
  });
});
