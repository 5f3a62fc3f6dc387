import { join } from 'node:path';
import type { Env, GlobalOptions } from '../context.js';
import { parseDuration, parseIntervalMs } from '../shared/duration.js';
import { usageError } from '../shared/errors.js';
import { isProfileName, printable } from '../shared/names.js';

/** Commander's accumulator for repeatable flags. */
export const collect = (value: string, previous: string[]) => [...previous, value];

export function integer(flag: string, min: number, max = 1_000_000) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < min || n > max) {
      throw usageError('bad-number', `${flag} takes a whole number from ${min} to ${max}, not "${value}".`);
    }
    return n;
  };
}

export function duration(flag: string) {
  return (value: string): number => {
    const seconds = parseDuration(value);
    if (seconds === undefined) {
      throw usageError('bad-duration', `${flag} takes a duration such as 30s, 90m, 36h, 7d or 2w (at most 10 years), not "${value}".`);
    }
    return seconds;
  };
}

/** An interval in milliseconds: `100ms`, `2s`, `1m`. */
export function interval(flag: string) {
  return (value: string): number => {
    const ms = parseIntervalMs(value);
    if (ms === undefined) throw usageError('bad-duration', `${flag} takes an interval such as 100ms, 2s or 1m, not "${value}".`);
    return ms;
  };
}

/** A file mode such as 0640 or 640. */
export function octal(flag: string) {
  return (value: string): number => {
    if (!/^0?[0-7]{3}$/.test(value.trim()))
      throw usageError('bad-mode', `${flag} takes an octal file mode such as 0600 or 0640, not "${value}".`);
    return Number.parseInt(value.trim(), 8);
  };
}

/** An environment switch: set and not '', 0, false or no. */
export const truthy = (value: string | undefined) => value !== undefined && !['', '0', 'false', 'no'].includes(value.toLowerCase());

/** A profile name: letters, digits, `.`, `_`, `-` (it names files, locks and table keys). */
export function checkProfileName(name: string): string {
  if (isProfileName(name)) return name;
  throw usageError(
    'bad-profile',
    `"${printable(name)}" is not a profile name: use up to 64 letters, digits, ".", "_" or "-", starting with a letter or digit.`,
  );
}

/** The global options, resolved flag > environment > default. */
export function resolveGlobals(raw: Record<string, unknown>, env: Env): GlobalOptions {
  return {
    profile: checkProfileName((raw.profile as string | undefined) ?? (env.PROTIME_PROFILE || 'default')),
    configDir: (raw.configDir as string | undefined) ?? (env.PROTIME_HOOKS_CONFIG_DIR || defaultConfigDir(env)),
    store: (raw.store as string | undefined) ?? (env.PROTIME_HOOKS_STORE || undefined),
    json: Boolean(raw.json),
    quiet: Boolean(raw.quiet),
    debug: Boolean(raw.debug) || truthy(env.PROTIME_HOOKS_DEBUG),
    color: colorWanted(raw.color !== false, env),
    input: raw.input !== false,
  };
}

/** Colour unless --no-color, a non-empty NO_COLOR (no-color.org: `NO_COLOR=` keeps colour) or TERM=dumb. */
export function colorWanted(flag: boolean, env: Env): boolean {
  return flag && !env.NO_COLOR && env.TERM !== 'dumb';
}

/** '' when there is no home to put it in: the store then asks for --config-dir (state never lands in ./.config). */
export function defaultConfigDir(env: Env): string {
  const base = env.XDG_CONFIG_HOME || (env.HOME || env.USERPROFILE ? join((env.HOME || env.USERPROFILE)!, '.config') : '');
  return base ? join(base, 'protime-hooks') : '';
}
