import { resolve } from 'node:path';
import type { Context } from '../context.js';
import { readFileCapped } from '../shared/capped-read.js';
import type { ExitKind } from '../shared/errors.js';
import { usageError } from '../shared/errors.js';
import { describeWriteError } from '../shared/fs-errors.js';
import type { View } from '../shared/output.js';
import { type ImportReport, importInto, parseExport, type RecordRef } from '../state/transfer.js';

export interface ImportOptions {
  /** The export document's file; stdin when absent (or `-`). */
  from?: string;
}

export interface ImportResult extends ImportReport {
  source: string;
  secrets: 'included' | 'omitted';
}

/** A fleet's export (thousands of records with their create answers) is a few MiB; more is not one. */
export const MAX_IMPORT_BYTES = 64 * 1024 * 1024;

/** Loads a `store export` document into this store: adds what it lacks, never overwrites what differs. */
export async function run(options: ImportOptions, ctx: Context): Promise<ImportResult> {
  const { text, source } = await readDocument(options, ctx);
  const input = parseExport(text, source);
  const report = await ctx.store.update((data) => importInto(data, input));
  if (report.needLogin.length > 0) {
    ctx.log.warn(
      `Imported without their client secret (the export omitted secrets): ${report.needLogin.map((p) => `"${p}"`).join(', ')}. Run \`protime-hooks login --profile <name>\` for each before using it.`,
    );
  }
  if (report.withoutKey > 0) {
    ctx.log.warn(
      `${report.withoutKey} subscription(s) were imported without their webhook key: \`status\` shows them as unknown-key, and \`renew\` replaces them with webhooks whose key is held. Import an export made with --include-secrets to keep the keys.`,
    );
  }
  for (const skipped of report.skipped) ctx.log.warn(`Skipped ${describe(skipped)}: it ${skipped.reason}.`);
  return { source, secrets: input.secrets, ...report };
}

async function readDocument(options: ImportOptions, ctx: Context): Promise<{ text: string; source: string }> {
  if (options.from !== undefined && options.from !== '-') {
    const path = resolve(options.from);
    let bytes: Buffer | undefined;
    try {
      bytes = readFileCapped(path, MAX_IMPORT_BYTES);
    } catch (error) {
      throw usageError(
        'bad-import',
        `Cannot read ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file (ENOENT)' : describeWriteError(error)}.`,
      );
    }
    if (!bytes) throw tooLarge(path);
    return { text: bytes.toString('utf8'), source: path };
  }
  if (ctx.io.stdinIsTTY) {
    throw usageError(
      'stdin-is-terminal',
      '`store import` reads the export document from stdin, but stdin is a terminal.',
      'Pipe it in (`protime-hooks store export --include-secrets | protime-hooks --config-dir <other> store import`) or pass --from <file>.',
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.io.stdin) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_IMPORT_BYTES) throw tooLarge('stdin');
    chunks.push(buffer);
  }
  return { text: Buffer.concat(chunks).toString('utf8'), source: 'stdin' };
}

function tooLarge(source: string) {
  return usageError(
    'import-too-large',
    `The document from ${source} is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MiB: that is not a store export.`,
  );
}

function describe(ref: RecordRef): string {
  if (ref.kind === 'profile') return `profile "${ref.profile}"`;
  if (ref.kind === 'renewRun') return `the renew record of profile "${ref.profile}"`;
  return `${ref.kind === 'intent' ? 'create intent' : 'subscription'} ${ref.id} of profile "${ref.profile}"`;
}

/** A record the store holds otherwise was refused: the move is not complete, a person must look. */
export function exitKind(result: ImportResult): ExitKind {
  return result.skipped.length > 0 ? 'failure' : 'ok';
}

export function summarize(result: ImportResult): string {
  const skipped = result.skipped.length > 0 ? `; ${result.skipped.length} skipped (they differ from this store's)` : '';
  return `Imported ${result.imported.length} record(s) from ${result.source}; ${result.unchanged.length} already here${skipped}.`;
}

export function render(result: ImportResult, _view: View): string {
  const lines = [
    ...result.imported.map((ref) => `imported  ${describe(ref)}`),
    ...result.unchanged.map((ref) => `unchanged ${describe(ref)}`),
    ...result.skipped.map((ref) => `skipped   ${describe(ref)}: ${ref.reason}`),
  ];
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}
