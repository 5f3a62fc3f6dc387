import type { storeSchema } from './schemas.js';

export type StoreSchema = typeof storeSchema;

let loading: Promise<StoreSchema> | undefined;

/**
 * The store's zod schema, loaded on first use: zod and the schemas are a fifth of what start-up
 * would compile, and a read of a file already known to be valid needs neither.
 */
export function loadStoreSchema(): Promise<StoreSchema> {
  loading ??= import('./schemas.js').then((module) => module.storeSchema);
  return loading;
}
