import { describe, expect, it } from 'vitest';
import { plan, type Step } from '../../src/commands/renew.js';
import type { Assessed } from '../../src/lifecycle/assess.js';
import type { SubscriptionState } from '../../src/lifecycle/renewal.js';
import { makeRecord } from '../helpers/protime.js';
import { URL } from './renew-helpers.js';

let n = 0;
/** One assessed subscription; `adopted` gives it a keyless record left by an interrupted run. */
function entry(state: SubscriptionState, overrides: Partial<Assessed> & { adopted?: boolean } = {}): Assessed {
  const { adopted, ...rest } = overrides;
  const id = rest.id ?? `wh-${++n}`;
  const hasKey = rest.hasKey ?? (!adopted && state !== 'unknown-key');
  return {
    id,
    collection: 'contracts',
    destinationUrl: URL,
    status: 'Enabled',
    validUntil: '2026-07-01T12:00:00.000Z',
    secondsLeft: 1000,
    state,
    hasKey,
    renewAfter: '2026-06-24T12:00:00.000Z',
    record: adopted ? makeRecord({ id, key: null, adopted: true }) : hasKey ? makeRecord({ id }) : undefined,
    ...rest,
  };
}

/** Steps as `kind:id[:action]`, for compact tables. */
const show = (steps: Step[]) =>
  steps.map((s) =>
    s.kind === 'fail' ? `fail:${s.id}:${s.code}` : s.kind === 'replace' ? `replace:${s.entry.id}:${s.action}` : `${s.kind}:${s.entry.id}`,
  );

const none = { ids: [] as string[], recreate: false };

describe('plan', () => {
  it.each<[string, SubscriptionState, string[]]>([
    ['ok', 'ok', []],
    ['renew-due', 'renew-due', ['replace:x:renewed']],
    ['unknown-key (not ours)', 'unknown-key', []],
    ['expired', 'expired', ['skip:x']],
    ['disabled', 'disabled', ['skip:x']],
    ['missing', 'missing', ['skip:x']],
  ])('without ids, a subscription in state %s gives %j', (_label, state, expected) => {
    expect(show(plan([entry(state, { id: 'x' })], none))).toEqual(expected);
  });

  it.each<[SubscriptionState]>([['expired'], ['disabled'], ['missing']])(
    '--recreate replaces a %s subscription as "recreated"',
    (state) => {
      expect(show(plan([entry(state, { id: 'x' })], { ids: [], recreate: true }))).toEqual(['replace:x:recreated']);
    },
  );

  it('the skip reason names the state, the re-sync and --recreate', () => {
    const [step] = plan([entry('disabled', { id: 'x', collection: 'people' })], none);
    expect(step).toMatchObject({ kind: 'skip' });
    const reason = (step as { reason: string }).reason;
    expect(reason).toContain('disabled');
    expect(reason).toContain('full re-sync of people');
    expect(reason).toContain('--recreate');
  });

  it('with ids, renews exactly those, due or not, fails unknown ones, and de-duplicates', () => {
    const entries = [entry('ok', { id: 'a' }), entry('ok', { id: 'b' }), entry('renew-due', { id: 'c' })];
    expect(show(plan(entries, { ids: ['a', 'nope', 'a', 'nope'], recreate: false }))).toEqual(['fail:nope:not-found', 'replace:a:renewed']);
  });

  it('with ids, an expired one is still skipped unless --recreate', () => {
    const entries = [entry('expired', { id: 'a' })];
    expect(show(plan(entries, { ids: ['a'], recreate: false }))).toEqual(['skip:a']);
    expect(show(plan(entries, { ids: ['a'], recreate: true }))).toEqual(['replace:a:recreated']);
  });

  it('an adopted orphan is replaced when nothing keyed serves its collection and destination', () => {
    expect(show(plan([entry('unknown-key', { id: 'o', adopted: true })], none))).toEqual(['replace:o:renewed']);
  });

  it('an adopted orphan is discarded when a keyed healthy webhook serves the same collection and destination', () => {
    const entries = [
      entry('unknown-key', { id: 'o', adopted: true }),
      entry('ok', { id: 'k', destinationUrl: 'https://HOOKS.example.com:443/protime' }),
    ];
    expect(show(plan(entries, none))).toEqual(['discard:o']);
  });

  it('a keyed webhook for another collection or destination does not count', () => {
    const otherCollection = entry('ok', { id: 'k1', collection: 'people' });
    const otherUrl = entry('ok', { id: 'k2', destinationUrl: `${URL}/other` });
    expect(show(plan([entry('unknown-key', { id: 'o', adopted: true }), otherCollection, otherUrl], none))).toEqual(['replace:o:renewed']);
  });

  it('a keyed but expired webhook does not count as serving the destination', () => {
    const entries = [entry('unknown-key', { id: 'o', adopted: true }), entry('expired', { id: 'k' })];
    expect(show(plan(entries, none)).sort()).toEqual(['replace:o:renewed', 'skip:k']);
  });

  it('several orphans for one destination get one replacement; the rest are discarded', () => {
    const entries = [
      entry('unknown-key', { id: 'o1', adopted: true }),
      entry('unknown-key', { id: 'o2', adopted: true }),
      entry('unknown-key', { id: 'o3', adopted: true, destinationUrl: `${URL}/second` }),
      entry('unknown-key', { id: 'o4', adopted: true }),
    ];
    expect(show(plan(entries, none))).toEqual(['replace:o1:renewed', 'discard:o2', 'replace:o3:renewed', 'discard:o4']);
  });

  it('a renew-due keyed webhook is renewed and the orphan of the same destination discarded, whatever the order', () => {
    const orphan = entry('unknown-key', { id: 'o', adopted: true });
    const due = entry('renew-due', { id: 'd' });
    expect(show(plan([orphan, due], none)).sort()).toEqual(['discard:o', 'replace:d:renewed']);
    expect(show(plan([due, orphan], none)).sort()).toEqual(['discard:o', 'replace:d:renewed']);
  });

  it('with --recreate, a missing keyed webhook and an orphan of the same destination yield one replacement, whatever the order', () => {
    // The orphan is listed by the server, so it comes before records missing from the server.
    const orphan = entry('unknown-key', { id: 'o', adopted: true });
    const missing = entry('missing', { id: 'm', status: null });
    for (const entries of [
      [orphan, missing],
      [missing, orphan],
    ]) {
      const steps = show(plan(entries, { ids: [], recreate: true }));
      expect(steps.filter((s) => s.startsWith('replace:'))).toHaveLength(1);
      expect(steps.sort()).toEqual(['discard:o', 'replace:m:recreated']);
    }
  });

  it('with --recreate, an expired webhook whose destination a healthy keyed one serves is retired, not recreated', () => {
    const expired = entry('expired', { id: 'e' });
    const healthy = entry('ok', { id: 'h' });
    expect(show(plan([expired, healthy], { ids: [], recreate: true }))).toEqual(['discard:e']);
    // Without --recreate it is still reported (events were missed) until the user acknowledges it.
    expect(show(plan([expired, healthy], none))).toEqual(['skip:e']);
    // A healthy webhook of another destination does not count.
    expect(show(plan([expired, entry('ok', { id: 'h2', destinationUrl: `${URL}/other` })], { ids: [], recreate: true }))).toEqual([
      'replace:e:recreated',
    ]);
  });

  it('a replaced webhook does not serve its destination: an orphan beside it is still replaced', () => {
    const orphan = entry('unknown-key', { id: 'o', adopted: true });
    const replaced = entry('replaced', { id: 'r' });
    expect(show(plan([replaced, orphan], none))).toEqual(['replace:o:renewed']);
  });

  it('never targets a replaced webhook, even one that was a keyless leftover', () => {
    expect(show(plan([entry('replaced', { id: 'r', adopted: true })], none))).toEqual([]);
  });

  it('is pure: the same input gives the same plan and the entries are not changed', () => {
    const entries = [entry('renew-due', { id: 'd' }), entry('unknown-key', { id: 'o', adopted: true, destinationUrl: `${URL}/x` })];
    const copy = structuredClone(entries);
    expect(show(plan(entries, none))).toEqual(show(plan(entries, none)));
    expect(entries).toEqual(copy);
  });
});
