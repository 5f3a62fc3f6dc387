import { styleText } from 'node:util';
import Table from 'cli-table3';

/** How a result is shown to a person: decided once per run in cli.ts. */
export interface View {
  /** stdout is a terminal: boxed table; otherwise plain aligned columns that `cut`/`awk` can read. */
  tty: boolean;
  color: boolean;
  now: Date;
}

type Style = Parameters<typeof styleText>[0];

export function paint(view: View, style: Style, text: string): string {
  return view.color ? styleText(style, text) : text;
}

/** A table of rows; an empty string when there are no rows (the caller says so on stderr). */
export function table(view: View, head: string[], rows: string[][]): string {
  if (rows.length === 0) return '';
  if (!view.tty) return aligned([head, ...rows]);
  const t = new Table({
    head: head.map((h) => paint(view, 'bold', h)),
    style: { head: [], border: [], compact: true },
  });
  t.push(...rows);
  return `${t.toString()}\n`;
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
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the ANSI colour codes this strips.
  return text.replace(/\u001b\[[0-9;]*m/g, '').length;
}
