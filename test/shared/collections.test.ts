import { describe, expect, it } from 'vitest';
import { COLLECTION_NAMES, COLLECTIONS, isCollection, suggestCollection } from '../../src/shared/collections.js';

// shared/protime-api.md, "Collections that support webhooks (current list of 18)".
const CONTRACT_LIST = [
  'absences',
  'absence-definitions',
  'absence-groups',
  'access-clockings',
  'activity-durations',
  'assignments',
  'break-definitions',
  'breaks',
  'calculated-totals',
  'clockings',
  'contracts',
  'counters',
  'counter-definitions',
  'counter-groups',
  'paid-presences',
  'people',
  'shift-definitions',
  'work-interruptions',
];

describe('COLLECTIONS', () => {
  it('holds exactly the 18 documented names, each once', () => {
    expect(COLLECTIONS).toHaveLength(18);
    expect(new Set(COLLECTION_NAMES).size).toBe(18);
    expect([...COLLECTION_NAMES].sort()).toEqual([...CONTRACT_LIST].sort());
    expect(COLLECTION_NAMES).toEqual(COLLECTIONS.map((c) => c.name));
  });

  it('gives every collection a distinct, non-empty label', () => {
    const labels = COLLECTIONS.map((c) => c.label);
    expect(labels.every((label) => label.trim().length > 0)).toBe(true);
    expect(new Set(labels).size).toBe(18);
    expect(COLLECTIONS.find((c) => c.name === 'access-clockings')?.label).toBe('Access clockings');
  });

  it('isCollection knows exact names only', () => {
    expect(isCollection('people')).toBe(true);
    expect(isCollection('work-interruptions')).toBe(true);
    expect(isCollection('People')).toBe(false);
    expect(isCollection('peoples')).toBe(false);
    expect(isCollection('')).toBe(false);
  });
});

describe('suggestCollection', () => {
  it.each([
    ['contract', 'contracts'],
    ['clocking', 'clockings'],
    ['peple', 'people'],
    ['Contract ', 'contracts'],
    ['PEOPLE', 'people'],
    ['absense', 'absences'],
    ['acess-clockings', 'access-clockings'],
    ['break', 'breaks'],
    ['counter', 'counters'],
  ])('suggests %j → %j', (typo, suggestion) => {
    expect(suggestCollection(typo)).toBe(suggestion);
  });

  it.each(['banana', 'webhooks', 'employees', 'timesheets', 'payroll', 'xyz', 'a', '', '   '])(
    'suggests nothing for the unrelated %j',
    (word) => {
      expect(suggestCollection(word)).toBeUndefined();
    },
  );
});
