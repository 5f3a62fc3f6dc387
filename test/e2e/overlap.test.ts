/**
 * End-to-end: ten `renew` processes of the built binary started at once on one profile of the file
 * store (overlap-core.ts holds the cases). Without --wait exactly one renews and the other nine exit
 * 75 (run-locked); after a SIGKILLed holder one takes the stale lock over; with --wait all ten exit
 * 0. Either way each subscription is replaced exactly once and every remaining webhook's key is held.
 */
import { afterEach, describe } from 'vitest';
import { removeTempDirs, stopAll } from './emulator-process.js';
import { describeOverlap } from './overlap-core.js';
import { fileBackend } from './store-backends.js';

afterEach(async () => {
  await stopAll();
  removeTempDirs();
});

describe('ten renew processes at once on one profile', { timeout: 120_000 }, () => {
  describeOverlap(() => fileBackend);
});
