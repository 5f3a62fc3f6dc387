import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/shared/duration.js';

describe('parseDuration', () => {
  it.each([
    ['90m', 5400],
    ['36h', 129_600],
    ['7d', 604_800],
    ['2w', 1_209_600],
    ['30s', 30],
    ['1m', 60],
    ['7D', 604_800],
    ['36H', 129_600],
    ['2W', 1_209_600],
    [' 7d ', 604_800],
    ['\t90m\n', 5400],
    ['7 d', 604_800],
    ['007d', 604_800],
  ])('reads %j as %i seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each([
    '0m',
    '0d',
    '00w',
    '-5m',
    '-1d',
    '+5m',
    '1.5h',
    '0.5d',
    '1,5h',
    '1d2h',
    '1d 2h',
    '90',
    'd',
    '7x',
    '7days',
    'm90',
    '',
    '   ',
    'soon',
    '99999999999999999999w',
  ])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [45, '45s'],
    [45.9, '45s'],
    [60, '1m'],
    [90, '1m 30s'],
    [3600, '1h'],
    [4 * 3600 + 10 * 60, '4h 10m'],
    [4 * 3600 + 10 * 60 + 59, '4h 10m'],
    [86_400, '1d'],
    [6 * 86_400 + 23 * 3600, '6d 23h'],
    [7 * 86_400 - 1, '6d 23h'],
    [14 * 86_400, '14d'],
    // A zero unit is skipped, not shown: the next one that is not zero comes second.
    [86_400 + 5 * 60, '1d 5m'],
    [3600 + 5, '1h 5s'],
    [86_400 + 7, '1d 7s'],
    [-(2 * 86_400 + 3600), '-2d 1h'],
    [-45, '-45s'],
  ])('%d s reads %j', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('shows at most two units, largest first', () => {
    expect(formatDuration(86_400 + 3600 + 60 + 1)).toBe('1d 1h');
  });
});
