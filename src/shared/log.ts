import { formatWithOptions, styleText } from 'node:util';
import type { ConsolaReporter, LogObject } from 'consola';

type Style = Parameters<typeof styleText>[0];

const PREFIX_STYLE: Record<string, Style> = {
  fatal: 'red',
  error: 'red',
  warn: 'yellow',
  success: 'green',
  info: 'cyan',
  debug: 'gray',
  hook: 'gray',
};

/**
 * The one style of every line protime-hooks writes to stderr, on a terminal or not (cron mail,
 * journald and tests read the same text): `[level] message`, the prefix coloured on a colour
 * terminal. Lines after the first of a message are left as they are (indented by their writers).
 */
export function logLine(level: string, message: string, color: boolean): string {
  const prefix = `[${level}]`;
  return `${color ? styleText(PREFIX_STYLE[level] ?? 'gray', prefix, { validateStream: false }) : prefix} ${message}\n`;
}

/** consola's reporter, plus what --quiet needs of it. */
export interface Reporter extends ConsolaReporter {
  /** Writes the warnings held back under --quiet (the run ends non-zero: they say why). */
  release(): void;
}

/** Under --quiet, at most this many warnings are held (a long `listen` may warn at every delivery). */
const HELD_MAX = 100;

/**
 * The reporter behind the context's logger. A tagged message shows its tag as its prefix (`[hook]`
 * for a deploy hook's output, which is logged as a warning). Under --quiet, info and success are
 * dropped and warnings held back: written just before the next error, or by release() when the run
 * ends non-zero. So a quiet run that succeeds prints nothing but errors, and one that fails keeps
 * its reasons (a skipped webhook and why) in cron's mail.
 */
export function reporter(write: (text: string) => void, options: { color: boolean; quiet: boolean }): Reporter {
  const held: string[] = [];
  let dropped = 0;
  const release = () => {
    if (dropped > 0) write(logLine('warn', `(${dropped} earlier warning(s) not shown)`, options.color));
    dropped = 0;
    for (const line of held.splice(0)) write(line);
  };
  return {
    log(logObj: LogObject) {
      const line = logLine(logObj.tag || logObj.type, formatWithOptions({ colors: false }, ...logObj.args), options.color);
      if (!options.quiet || logObj.level <= 0) {
        if (logObj.level <= 0) release();
        write(line);
      } else if (logObj.level === 1) {
        held.push(line);
        if (held.length > HELD_MAX) {
          held.shift();
          dropped++;
        }
      }
    },
    release,
  };
}
