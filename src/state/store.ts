import type { StoreData } from './schemas.js';

/** Gives a lock back. */
export type Release = () => Promise<void>;

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
  /** Frees what the backend keeps open between calls (PostgreSQL's pool); the file store keeps nothing. */
  close?(): Promise<void>;
}
