import type { Context } from '../context.js';
import type { View } from '../shared/output.js';
import { parseStoreKey, STORE_KEY_VARIABLE } from '../state/seal.js';

export interface MigrateResult {
  /** Where the state lives. */
  store: string;
  /** The format it was in, and is in now (1: secrets as they are; 2: sealed with the store key). */
  previousSchemaVersion: number;
  schemaVersion: number;
  /** Whether secrets are encrypted at rest (PROTIME_HOOKS_STORE_KEY is set), and with which key. */
  encrypted: boolean;
  keyId: string | null;
}

/**
 * Creates the store when absent, upgrades it to this version's format, and with a store key seals
 * any secret still in clear: one write through the store, as every command does on first use.
 */
export async function run(_options: unknown, ctx: Context): Promise<MigrateResult> {
  const previousSchemaVersion = (await ctx.store.read()).schemaVersion;
  await ctx.store.update(() => undefined);
  const schemaVersion = (await ctx.store.read()).schemaVersion;
  // Already checked when the store was opened: here it only names the key.
  const key = parseStoreKey(ctx.env[STORE_KEY_VARIABLE]);
  return { store: ctx.store.location, previousSchemaVersion, schemaVersion, encrypted: key !== undefined, keyId: key?.id ?? null };
}

export function render(result: MigrateResult, _view: View): string {
  const format =
    result.previousSchemaVersion === result.schemaVersion
      ? `format ${result.schemaVersion} (current)`
      : `format ${result.schemaVersion} (was ${result.previousSchemaVersion})`;
  const secrets = result.encrypted
    ? `secrets encrypted with key id ${result.keyId}`
    : `secrets not encrypted (${STORE_KEY_VARIABLE} is not set)`;
  return `${result.store}: ${format}, ${secrets}\n`;
}
