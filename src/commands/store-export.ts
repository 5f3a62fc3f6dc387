import type { Context } from '../context.js';
import type { View } from '../shared/output.js';
import { exportDocument } from '../state/transfer.js';

export interface ExportOptions {
  /** Client secrets, tokens and webhook keys in clear; otherwise each is null. */
  includeSecrets: boolean;
}

export interface ExportSummary {
  profiles: number;
  subscriptions: number;
  secrets: 'included' | 'omitted';
}

/** The document is the output, the same with and without --json: written here, not rendered. */
export const streaming = true;

/** Prints the whole state as one JSON document (see state/transfer.ts), for `store import`. */
export async function run(options: ExportOptions, ctx: Context): Promise<ExportSummary> {
  const data = await ctx.store.read();
  const doc = exportDocument(data, { includeSecrets: options.includeSecrets, source: ctx.store.location, now: ctx.now() });
  if (options.includeSecrets && ctx.io.stdoutIsTTY) {
    ctx.log.warn(
      'This export holds every client secret, token and webhook key in clear, and stdout is a terminal: pipe it into `store import` or a file only you can read.',
    );
  }
  const text = `${JSON.stringify(doc, null, 2)}\n`;
  // The one output whose data is the secrets themselves, when asked for: only then is it not scrubbed.
  ctx.io.stdout.write(options.includeSecrets ? text : ctx.scrubber.scrub(text));
  return {
    profiles: Object.keys(doc.profiles).length,
    subscriptions: Object.values(doc.subscriptions).reduce((n, records) => n + Object.keys(records).length, 0),
    secrets: doc.secrets,
  };
}

export function render(_result: ExportSummary, _view: View): string {
  return '';
}

export function summarize(result: ExportSummary): string {
  return `Exported ${result.profiles} profile(s) and ${result.subscriptions} subscription record(s), secrets ${result.secrets}.`;
}
