import { join } from 'node:path';
import type { Env, GlobalOptions } from '../context.js';
import { parseDuration } from '../shared/duration.js';
import { usageError } from '../shared/errors.js';

/** Commander's accumulator for repeatable flags. */
export const collect = (value: string, previous: string[]) => [...previous, value];

export function integer(flag: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < min || !Number.isSafeInteger(n))
      throw usageError('bad-number', `${flag} takes a whole number of at least ${min}, not "${value}".`);
    return n;
  };
}

export function duration(flag: string) {
  return (value: string): number => {
    const seconds = parseDuration(value);
    if (seconds === undefined) throw usageError('bad-duration', `${flag} takes a duration such as 90m, 36h, 7d or 2w, not "${value}".`);
    return seconds;
  };
}

/** An environment switch: set and not '', 0, false or no. */
export const truthy = (value: string | undefined) => value !== undefined && !['', '0', 'false', 'no'].includes(value.toLowerCase());

/** The global options, resolved flag > environment > default. */
export function resolveGlobals(raw: Record<string, unknown>, env: Env): GlobalOptions {
  return {
    profile: (raw.profile as string | undefined) ?? (env.PROTIME_PROFILE || 'default'),
    configDir: (raw.configDir as string | undefined) ?? (env.PROTIME_HOOKS_CONFIG_DIR || defaultConfigDir(env)),
    json: Boolean(raw.json),
    quiet: Boolean(raw.quiet),
    debug: Boolean(raw.debug) || truthy(env.PROTIME_HOOKS_DEBUG),
    color: raw.color !== false && env.NO_COLOR === undefined && env.TERM !== 'dumb',
    input: raw.input !== false,
  };
}

function defaultConfigDir(env: Env): string {
  const home = env.HOME || env.USERPROFILE || '.';
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'protime-hooks');
}
