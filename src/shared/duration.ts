const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
/** Ten years: longer than any webhook lives, and far inside what a Date can hold. */
export const MAX_DURATION_SECONDS = 10 * 366 * 86_400;

/**
 * Parses `90m`, `36h`, `7d`, `2w` (also `30s`) into seconds.
 * Returns undefined for anything else, so callers can word their own usage error.
 */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+)\s*([smhdw])\s*$/i.exec(text);
  if (!match) return undefined;
  const seconds = Number(match[1]) * UNITS[match[2]!.toLowerCase()]!;
  return seconds > 0 && seconds <= MAX_DURATION_SECONDS ? seconds : undefined;
}

/** A duration in milliseconds: `100ms`, or any duration parseDuration takes. For pacing, not for lifetimes. */
export function parseIntervalMs(text: string): number | undefined {
  const match = /^\s*(\d+)\s*ms\s*$/i.exec(text);
  if (match) return Number(match[1]) > 0 ? Number(match[1]) : undefined;
  const seconds = parseDuration(text);
  return seconds === undefined ? undefined : seconds * 1000;
}

/** A short human duration: `6d 23h`, `4h 10m`, `45s`; negative values read `-2d 1h`. */
export function formatDuration(totalSeconds: number): string {
  const sign = totalSeconds < 0 ? '-' : '';
  let rest = Math.floor(Math.abs(totalSeconds));
  let text = '';
  let parts = 0;
  // An index loop over constant units: a fleet's status formats thousands of these at start-up.
  for (let u = 0; u < SIZES.length && parts < 2; u++) {
    const size = SIZES[u]!;
    if (rest >= size || (size === 1 && parts === 0)) {
      text += `${parts === 0 ? '' : ' '}${Math.floor(rest / size)}${LETTERS[u]}`;
      rest %= size;
      parts++;
    }
  }
  return sign + text;
}

const LETTERS = ['d', 'h', 'm', 's'];
const SIZES = [86_400, 3600, 60, 1];
