import { styleText } from 'node:util';

// Apart from output.ts (cli-table3): what status --offline's fast path needs to print a piped table.

/** How a result is shown to a person: decided once per run in cli.ts. */
export interface View {
  /** stdout is a terminal: boxed table; otherwise plain aligned columns that `cut`/`awk` can read. */
  tty: boolean;
  color: boolean;
  now: Date;
  /** The terminal's width when stdout is one; a boxed table is fitted to it. Undefined: no limit. */
  columns?: number;
}

type Style = Parameters<typeof styleText>[0];

export function paint(view: View, style: Style, text: string): string {
  // Node's own check looks at process.stdout; whether to colour was decided for this run already.
  return view.color ? styleText(style, text, { validateStream: false }) : text;
}

/** A column of a table, and how it gives way when a terminal is too narrow for the whole table. */
export interface Column {
  head: string;
  /** A shorter form of a cell (an id's first characters, a time to the minute), tried first. */
  short?: (cell: string) => string;
  /** Left out when the short forms do not fit either: the lowest number first. */
  drop?: number;
  /** May wrap onto several lines (a URL, a key) instead of being cut with `…`. */
  wrap?: boolean;
}

/** An id shortened to its first 8 characters and `…` (ids are UUIDs: 8 are plenty to tell them apart by eye). */
export const shortId = (id: string) => (id.length > 9 ? `${id.slice(0, 8)}…` : id);

/** An ISO 8601 UTC time to the minute, `2026-06-21 12:00Z`; anything else unchanged. */
export const shortTime = (time: string) => {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?Z$/.exec(time);
  return match ? `${match[1]} ${match[2]}Z` : time;
};

/** A table as it is piped: plain aligned columns, always whole; an empty string when there are no rows. */
export function plainTable(columns: Array<string | Column>, rows: string[][]): string {
  if (rows.length === 0) return '';
  return aligned([columns.map((c) => (typeof c === 'string' ? c : c.head)), ...rows]);
}

/** Plain columns separated by at least two spaces; the last column is not padded. */
export function aligned(rows: string[][]): string {
  // Index loops and one string: a fleet's table has thousands of cells, laid out once per run.
  const widths: number[] = [];
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) {
      const length = visibleLength(row[i]!);
      if (!(length <= widths[i]!)) widths[i] = length;
    }
  }
  let text = '';
  for (const row of rows) {
    let line = '';
    for (let i = 0; i < row.length - 1; i++) line += row[i]! + spaces(widths[i]! - visibleLength(row[i]!) + 2);
    text += `${(line + (row[row.length - 1] ?? '')).trimEnd()}\n`;
  }
  return text;
}

const padding: string[] = [];
/** n spaces, made once per n. */
export const spaces = (n: number) => (padding[n] ??= ' '.repeat(n));

export function visibleLength(text: string): number {
  // Most cells carry no colour: no regex for them (a fleet's table has thousands of cells).
  if (!text.includes('\u001b')) return text.length;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the ANSI colour codes this strips.
  return text.replace(/\u001b\[[0-9;]*m/g, '').length;
}
