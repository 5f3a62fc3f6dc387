// Apart from schemas.ts: code that only needs the numbers must not load zod (start-up).

/**
 * The newest state format this version reads. 1: secrets as they are; 2: secrets may be sealed with
 * the store key (PROTIME_HOOKS_STORE_KEY), so a version that cannot open them refuses the state
 * instead of using sealed text as a secret.
 */
export const STORE_VERSION = 2;
/** The format of a state without sealed values: versions before encryption still read it. */
export const PLAIN_STORE_VERSION = 1;
/** The format a state holding sealed values is marked with. */
export const SEALED_STORE_VERSION = 2;
