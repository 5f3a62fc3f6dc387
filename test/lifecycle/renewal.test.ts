import { describe, expect, it } from 'vitest';
import {
  DEFAULT_WINDOW_SECONDS,
  renewAfter,
  renewalWindowSeconds,
  type StateInput,
  type SubscriptionState,
  subscriptionState,
  worstSeverity,
} from '../../src/lifecycle/renewal.js';

const DAY = 86_400;
const at = (iso: string) => new Date(iso);
const plus = (date: Date, ms: number) => new Date(date.getTime() + ms);

/** A healthy subscription: created 30 days before it expires, looked at halfway, key held. */
function input(overrides: Partial<StateInput> = {}): StateInput {
  return {
    now: at('2025-03-16T10:30:00Z'),
    validUntil: at('2025-03-31T10:30:00Z'),
    createdAt: at('2025-03-01T10:30:00Z'),
    serverStatus: 'Enabled',
    onServer: true,
    hasKey: true,
    ...overrides,
  };
}

describe('renewalWindowSeconds', () => {
  const validUntil = at('2025-03-31T10:30:00Z');

  it('is 7 days when the creation time is unknown', () => {
    expect(DEFAULT_WINDOW_SECONDS).toBe(7 * DAY);
    expect(renewalWindowSeconds(validUntil)).toBe(7 * DAY);
  });

  it.each([
    ['30 days', 30 * DAY, 7 * DAY],
    ['exactly 21 days (a third is 7 days)', 21 * DAY, 7 * DAY],
    ['21 days + 3 s', 21 * DAY + 3, 7 * DAY],
    ['20 days', 20 * DAY, Math.floor((20 * DAY) / 3)],
    ['3 days', 3 * DAY, DAY],
    ['10 seconds (a third rounds down)', 10, 3],
  ])('is min(7 days, lifetime / 3) for a lifetime of %s', (_label, lifetimeSeconds, expected) => {
    expect(renewalWindowSeconds(validUntil, plus(validUntil, -lifetimeSeconds * 1000))).toBe(expected);
  });

  it.each([
    ['zero', 0],
    ['negative (created after validUntil)', 5 * DAY],
  ])('falls back to 7 days when the lifetime is %s', (_label, createdAfterMs) => {
    expect(renewalWindowSeconds(validUntil, plus(validUntil, createdAfterMs * 1000))).toBe(7 * DAY);
  });

  it('falls back to 7 days when the creation time is an invalid date', () => {
    expect(renewalWindowSeconds(validUntil, new Date('not a date'))).toBe(7 * DAY);
  });
});

describe('renewAfter', () => {
  const validUntil = at('2025-03-31T10:30:00Z');

  it('is validUntil minus the default window', () => {
    expect(renewAfter(validUntil).toISOString()).toBe('2025-03-24T10:30:00.000Z');
    expect(renewAfter(validUntil, at('2025-03-28T10:30:00Z')).toISOString()).toBe('2025-03-30T10:30:00.000Z');
  });

  it('uses the --renew-within window instead of the default, whatever the lifetime', () => {
    expect(renewAfter(validUntil, at('2025-03-01T10:30:00Z'), 3600).toISOString()).toBe('2025-03-31T09:30:00.000Z');
    expect(renewAfter(validUntil, undefined, 14 * DAY).toISOString()).toBe('2025-03-17T10:30:00.000Z');
    expect(renewAfter(validUntil, undefined, 0).toISOString()).toBe('2025-03-31T10:30:00.000Z');
  });
});

describe('subscriptionState', () => {
  it('is ok well before renewal is due', () => {
    expect(subscriptionState(input())).toBe('ok');
  });

  describe('precedence: missing > disabled > expired > unknown-key > renew-due > ok', () => {
    const expiredNow = at('2025-04-01T00:00:00Z');
    const dueNow = at('2025-03-30T00:00:00Z');

    it.each<[string, Partial<StateInput>, SubscriptionState]>([
      ['missing beats everything', { onServer: false, serverStatus: 'Disabled', now: expiredNow, hasKey: false }, 'missing'],
      ['disabled beats expired and a missing key', { serverStatus: 'Disabled', now: expiredNow, hasKey: false }, 'disabled'],
      ['expired beats a missing key', { now: expiredNow, hasKey: false }, 'expired'],
      ['unknown-key beats renew-due', { now: dueNow, hasKey: false }, 'unknown-key'],
      ['renew-due beats ok', { now: dueNow }, 'renew-due'],
      ['unknown-key when healthy but the key is not held', { hasKey: false }, 'unknown-key'],
      ['disabled even long before validUntil', { serverStatus: 'Disabled' }, 'disabled'],
      ['unreadable whatever its last known time says', { unreadable: true, now: expiredNow, hasKey: false }, 'unreadable'],
    ])('%s', (_label, overrides, expected) => {
      expect(subscriptionState(input(overrides))).toBe(expected);
    });
  });

  describe('boundaries, to the millisecond', () => {
    const base = input();
    const due = renewAfter(base.validUntil, base.createdAt);

    it('renew-due starts exactly at renewAfter', () => {
      expect(due.toISOString()).toBe('2025-03-24T10:30:00.000Z');
      expect(subscriptionState({ ...base, now: plus(due, -1) })).toBe('ok');
      expect(subscriptionState({ ...base, now: due })).toBe('renew-due');
      expect(subscriptionState({ ...base, now: plus(due, 1) })).toBe('renew-due');
    });

    it('expired starts exactly at validUntil', () => {
      expect(subscriptionState({ ...base, now: plus(base.validUntil, -1) })).toBe('renew-due');
      expect(subscriptionState({ ...base, now: base.validUntil })).toBe('expired');
      expect(subscriptionState({ ...base, now: plus(base.validUntil, 1) })).toBe('expired');
    });

    it('honours a window override at its boundary', () => {
      const hourBefore = at('2025-03-31T09:30:00Z');
      expect(subscriptionState({ ...base, windowSeconds: 3600, now: plus(hourBefore, -1) })).toBe('ok');
      expect(subscriptionState({ ...base, windowSeconds: 3600, now: hourBefore })).toBe('renew-due');
    });

    it('uses the 7-day window when the creation time is unknown', () => {
      const noCreated = { ...base, createdAt: undefined };
      expect(subscriptionState({ ...noCreated, now: at('2025-03-24T10:29:59.999Z') })).toBe('ok');
      expect(subscriptionState({ ...noCreated, now: at('2025-03-24T10:30:00.000Z') })).toBe('renew-due');
    });
  });

  it('compares validUntil strings with a UTC offset as instants', () => {
    // 12:30 at +02:00 is 10:30 UTC: a naive reading of the wall clock would be two hours late.
    const validUntil = new Date('2025-03-31T12:30:00+02:00');
    const base = input({ validUntil, createdAt: undefined });
    expect(subscriptionState({ ...base, now: at('2025-03-31T10:29:59.999Z') })).toBe('renew-due');
    expect(subscriptionState({ ...base, now: at('2025-03-31T10:30:00Z') })).toBe('expired');
    expect(subscriptionState({ ...base, now: at('2025-03-31T11:30:00+01:00') })).toBe('expired');
    expect(subscriptionState({ ...base, now: at('2025-03-24T12:29:59.999+02:00') })).toBe('ok');
    expect(subscriptionState({ ...base, now: at('2025-03-24T05:30:00-05:00') })).toBe('renew-due');
  });

  it.each(['Disabled', 'disabled', 'DISABLED'])('treats status %j as disabled', (status) => {
    expect(subscriptionState(input({ serverStatus: status }))).toBe('disabled');
  });

  it.each([
    ['Uninitialized', input({ serverStatus: 'Uninitialized' }), 'ok'],
    ['Uninitialized, due', input({ serverStatus: 'Uninitialized', now: at('2025-03-30T00:00:00Z') }), 'renew-due'],
    ['Enabled', input({ serverStatus: 'Enabled' }), 'ok'],
    ['unknown offline (undefined)', input({ serverStatus: undefined }), 'ok'],
    ['a future value', input({ serverStatus: 'Suspended' }), 'ok'],
  ])('does not treat status %s as disabled', (_label, stateInput, expected) => {
    expect(subscriptionState(stateInput)).toBe(expected);
  });
});

describe('worstSeverity', () => {
  it.each<[SubscriptionState[], 'ok' | 'attention' | 'failure' | 'critical']>([
    [[], 'ok'],
    [['ok', 'ok'], 'ok'],
    [['ok', 'renew-due'], 'attention'],
    [['unknown-key', 'ok'], 'attention'],
    [['renew-due', 'expired', 'ok'], 'critical'],
    [['disabled'], 'critical'],
    [['ok', 'missing'], 'critical'],
    [['missing', 'renew-due'], 'critical'],
    // The contract's order: 5 > 1 > 3 > 0.
    [['renew-due', 'unreadable', 'ok'], 'failure'],
    [['unreadable', 'missing'], 'critical'],
  ])('%j → %s', (states, expected) => {
    expect(worstSeverity(states)).toBe(expected);
  });

  it('accepts any iterable, e.g. a generator', () => {
    function* states(): Generator<SubscriptionState> {
      yield 'ok';
      yield 'unknown-key';
    }
    expect(worstSeverity(states())).toBe('attention');
    expect(worstSeverity(new Set<SubscriptionState>(['ok', 'expired']))).toBe('critical');
  });
});

describe('subscriptionState with an unreadable validUntil', () => {
  it('reports expired rather than ok', async () => {
    const { subscriptionState } = await import('../../src/lifecycle/renewal.js');
    expect(
      subscriptionState({
        now: new Date('2026-01-01T00:00:00Z'),
        validUntil: new Date('not a date'),
        onServer: true,
        hasKey: true,
        serverStatus: 'Enabled',
      }),
    ).toBe('expired');
  });
});
