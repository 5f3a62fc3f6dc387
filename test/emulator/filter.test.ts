import { describe, expect, it } from 'vitest';
import { parseExternalReferences } from '../../src/emulator/external-references.js';
import { FilterError, parseFilter } from '../../src/emulator/filter.js';

const hook = (status: string, collectionName: string) => ({ status, collectionName });

describe('emulator filter parser', () => {
  it('binds and tighter than or, like OData', () => {
    const matches = parseFilter("status eq 'Enabled' or collectionName eq 'people' and status eq 'Disabled'");
    expect(matches(hook('Enabled', 'contracts'))).toBe(true);
    expect(matches(hook('Disabled', 'people'))).toBe(true);
    expect(matches(hook('Disabled', 'contracts'))).toBe(false);
  });

  it('supports parentheses, ne, quoted quotes and case-insensitive keywords', () => {
    const matches = parseFilter("(collectionName NE 'it''s') AND (status eq 'Enabled')");
    expect(matches(hook('Enabled', 'contracts'))).toBe(true);
    expect(matches(hook('Enabled', "it's"))).toBe(false);
  });

  it.each([
    ['', 'the filter is empty'],
    ["status eq 'Enabled", 'unterminated string at position 11'],
    ["status eq 'a' status", "unexpected 'status' at position 15"],
    ["status gt 'a'", "expected 'eq' or 'ne' after status but found 'gt' at position 8"],
  ])('rejects %j: %s', (text, message) => {
    expect(() => parseFilter(text)).toThrow(new FilterError(message));
  });
});

describe('emulator externalReferences parser', () => {
  it('reads pairs written back to back', () => {
    expect(parseExternalReferences('(people,@badge-number)(contracts,custom-ref)')).toEqual({
      people: '@badge-number',
      contracts: 'custom-ref',
    });
  });

  it.each(['', 'people,@badge-number', '(people)', '(people,@a)(people,@b)', '(people,@a)x'])('rejects %j', (text) => {
    expect(() => parseExternalReferences(text)).toThrow(/externalReferences/);
  });
});
