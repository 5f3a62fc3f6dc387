import Table from 'cli-table3';
import { aligned, type Column, paint, plainTable, type View, visibleLength } from './text-table.js';

// Re-exported: most commands take all of their output helpers from here.
export { type Column, paint, shortId, shortTime, type View } from './text-table.js';

/**
 * A table of rows; an empty string when there are no rows (the caller says so on stderr). Piped,
 * plain aligned columns, always whole. On a terminal, a boxed table that fits `view.columns`: the
 * whole table when it fits; else short forms, then fewer columns, then wrapped or cut cells.
 */
export function table(view: View, columns: Array<string | Column>, rows: string[][]): string {
  if (!view.tty || rows.length === 0) return plainTable(columns, rows);
  const spec = columns.map((c) => (typeof c === 'string' ? { head: c } : c));
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
