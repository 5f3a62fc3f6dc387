import { styleText } from 'node:util';
import Table from 'cli-table3';

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

/**
 * A table of rows; an empty string when there are no rows (the caller says so on stderr). Piped,
 * plain aligned columns, always whole. On a terminal, a boxed table that fits `view.columns`: the
 * whole table when it fits; else short forms, then fewer columns, then wrapped or cut cells.
 */
export function table(view: View, columns: Array<string | Column>, rows: string[][]): string {
  if (rows.length === 0) return '';
  const spec = columns.map((c) => (typeof c === 'string' ? { head: c } : c));
  if (!view.tty) return aligned([spec.map((c) => c.head), ...rows]);
  const width = view.columns;
  let shown = spec.map((_, i) => i);
  let text = boxed(view, spec, shown, rows);
  if (width === undefined || widest(text) <= width) return text;

  const short = rows.map((row) => row.map((cell, i) => spec[i]?.short?.(cell) ?? cell));
  text = boxed(view, spec, shown, short);
  const droppable = shown.filter((i) => spec[i]?.drop !== undefined).sort((a, b) => spec[a]!.drop! - spec[b]!.drop!);
  for (const i of droppable) {
    if (widest(text) <= width) return text;
    shown = shown.filter((s) => s !== i);
    text = boxed(view, spec, shown, short);
  }
  if (widest(text) <= width) return text;
  return squeezed(view, spec, shown, short, width);
}

/** Fixed widths that add up to `width`: wrapping columns narrow first, then the widest others (cut with `…`). */
function squeezed(view: View, spec: Column[], shown: number[], rows: string[][], width: number): string {
  for (;;) {
    // Each cell has one space of padding either side; n columns have n + 1 borders.
    const widths = shown.map((i) => Math.max(visibleLength(spec[i]!.head), ...rows.map((r) => visibleLength(r[i] ?? ''))) + 2);
    const min = shown.map((i) => (spec[i]!.wrap ? 12 : 5));
    const total = () => widths.reduce((a, b) => a + b, 0) + shown.length + 1;
    while (total() > width) {
      const pick = (wrapOnly: boolean) =>
        widths.reduce<number>(
          (best, w, k) => (w > min[k]! && (!wrapOnly || spec[shown[k]!]!.wrap) && (best < 0 || w > widths[best]!) ? k : best),
          -1,
        );
      const k = pick(true) >= 0 ? pick(true) : pick(false);
      if (k < 0) break;
      widths[k]! -= 1;
    }
    // A terminal narrower than even that: the last columns go, one at a time; one always stays.
    if (total() <= width || shown.length === 1) return boxed(view, spec, shown, rows, widths);
    shown = shown.slice(0, -1);
  }
}

function boxed(view: View, spec: Column[], shown: number[], rows: string[][], colWidths?: number[]): string {
  const cell = (content: string, i: number) => (spec[i]?.wrap ? { content, wordWrap: true, wrapOnWordBoundary: false } : content);
  const t = new Table({
    head: shown.map((i) => paint(view, 'bold', spec[i]!.head)),
    style: { head: [], border: [], compact: true },
    ...(colWidths ? { colWidths } : {}),
  });
  t.push(...rows.map((row) => shown.map((i) => cell(row[i] ?? '', i))));
  return `${t.toString()}\n`;
}

function widest(text: string): number {
  return Math.max(...text.split('\n').map(visibleLength));
}

/** Two columns, `name  value`, for single records such as a new subscription. */
export function fields(pairs: Array<[string, string]>): string {
  return aligned(pairs.map(([name, value]) => [name, value]));
}

/** Plain columns separated by at least two spaces; the last column is not padded. */
function aligned(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell));
  }
  const lines = rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visibleLength(cell) + 2)))
      .join('')
      .trimEnd(),
  );
  return `${lines.join('\n')}\n`;
}

function visibleLength(text: string): number {
  // Most cells carry no colour: no regex for them (a fleet's table has thousands of cells).
  if (!text.includes('\u001b')) return text.length;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the ANSI colour codes this strips.
  return text.replace(/\u001b\[[0-9;]*m/g, '').length;
}
