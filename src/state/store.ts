import type { CliError } from '../shared/errors.js';
import type { SecretScrubber } from '../shared/redact.js';
import type { StoreData } from './schemas.js';

/**
 * Gives a lock back. `lost`, where the backend can tell: the error to stop with when the lock was
 * taken away while held (its database session ended, its lock folder was taken over): another run
 * may hold the profile now, so nothing more may be created.
 */
export type Release = (() => Promise<void>) & { lost?: () => CliError | undefined };

export interface RunLockOptions {
  /** How long to wait for a running holder; 0 fails at once (the cron default). */
  waitMs: number;
  sleep?: (ms: number) => Promise<void>;
  /**
   * Told once, when the lock is held and there is time to wait (never when it is free, nor with
   * waitMs 0): what it waits for, for a person. The caller logs it; the store has no logger.
   */
  onWait?: (message: string) => void;
}

/**
 * Everything protime-hooks remembers (profiles, client secrets, cached tokens, webhook keys, the
 * create journal), behind one interface so that a backend is one more file: the file store
 * (`file-store.ts`) is the embedded default. Commands and the lifecycle use only this.
 */
export interface Store {
  /** Where the state lives, for messages: a file path, or a database without its password. */
  readonly location: string;
  /** A validated snapshot (an empty one when nothing was saved yet). Damage is an error, never a reset. */
  read(): Promise<StoreData>;
  /**
   * Reads the current state under the store's lock, lets `change` mutate it, and makes the result
   * durable before resolving with what `change` returns. Nothing is written when `change` throws.
   */
  update<T>(change: (data: StoreData) => T | Promise<T>): Promise<T>;
  /**
   * One creating or deleting run per profile at a time (renew, subscribe, unsubscribe), so two
   * runs cannot both replace the same webhook. Busy: exit 75 at once, or after `waitMs`.
   */
  runLock(profile: string, command: string, options: RunLockOptions): Promise<Release>;
  /** A backend that can look at itself without changing anything says so here (doctor's `store` check). */
  health?(): Promise<StoreHealth>;
  /**
   * The file store keeps what `status --offline` prints beside the state (status-index.ts), for
   * its fast path; status calls this after reading, and `make` gives the text. Others have no such cache.
   */
  indexStatus?(make: (data: StoreData) => string): void;
  /** Frees what the backend keeps open between calls (PostgreSQL's pool); the file store keeps nothing. */
  close?(): Promise<void>;
}

/** What a backend found of itself, read only: reachable (else it threw), its schema, what is sealed. */
export interface StoreHealth {
  /** The schema version found (0: not created yet), and the one this code creates. */
  schemaVersion: number;
  currentVersion: number;
  /**
   * Records holding secrets: how many are sealed, per store key id, and how many are in clear;
   * null when this schema version cannot tell without opening them.
   */
  secrets: { sealedWith: Record<string, number>; clear: number } | null;
}

/**
 * Makes every secret `data` holds known to `scrubber`: client secrets and cached tokens, and every
 * webhook key (replaced records' too) as data, which stdout may carry where a command prints it.
 */
export function learnSecrets(scrubber: Pick<SecretScrubber, 'add'>, data: StoreData): void {
  for (const profile of Object.values(data.profiles)) {
    scrubber.add(profile.clientSecret);
    scrubber.add(profile.token?.accessToken);
  }
  for (const records of Object.values(data.subscriptions)) {
    for (const record of Object.values(records)) scrubber.add(record.key, { data: true });
  }
}
