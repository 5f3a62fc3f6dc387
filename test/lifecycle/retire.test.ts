import { describe, expect, it } from 'vitest';
import { deleteBackoffMs } from '../../src/lifecycle/retire.js';

const MINUTE = 60_000;

describe('deleteBackoffMs', () => {
  it('waits 5 minutes after the first failed delete and doubles with each further one', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => deleteBackoffMs(n) / MINUTE)).toEqual([5, 10, 20, 40, 80, 160, 320]);
  });

  it('never waits more than 6 hours, however many failures (no overflow to Infinity or NaN)', () => {
    for (const n of [8, 9, 30, 2000]) expect(deleteBackoffMs(n)).toBe(360 * MINUTE);
  });
});
