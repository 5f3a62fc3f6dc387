import type { StoreData } from './schemas.js';

/**
 * Group commit, for every backend: changes asked for while a commit is in flight are applied
 * together, in the order asked, and made durable by the next single commit (one fsync'ed write,
 * one transaction); none resolves before it. Eight renew workers thus share one commit instead of
 * queueing for eight. The backend's `commit` settles every change of the batch it is given.
 */
export class GroupCommit {
  readonly #pending: Pending[] = [];
  #flushing = false;

  /** `more`: whether changes are already waiting for the next commit (a backend may keep its lock for them). */
  constructor(private readonly commit: (batch: Pending[], more: () => boolean) => Promise<void>) {}

  enqueue<T>(change: (data: StoreData) => T | Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ change, resolve: resolve as (value: unknown) => void, reject });
      if (!this.#flushing) void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#pending.length > 0) await this.commit(this.#pending.splice(0), () => this.#pending.length > 0);
    } finally {
      this.#flushing = false;
    }
  }
}

export interface Pending {
  change: (data: StoreData) => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Applies a batch of changes to the store's current data, in order. A change that throws may have
 * half-mutated the data, so the batch starts again from a fresh read without it (changes are pure
 * functions of the data they are given: replaying one gives the same result). `read` gives a fresh
 * copy each time (the file read again; what a PostgreSQL transaction read, cloned).
 */
export async function applyAll(batch: Pending[], read: () => StoreData): Promise<{ data: StoreData; outcomes: Outcome[] }> {
  const failed = new Map<number, unknown>();
  for (;;) {
    const data = read();
    const outcomes: Outcome[] = [];
    let restart = false;
    for (const [i, pending] of batch.entries()) {
      if (failed.has(i)) {
        outcomes.push({ ok: false, error: failed.get(i) });
        continue;
      }
      try {
        outcomes.push({ ok: true, value: await pending.change(data) });
      } catch (error) {
        failed.set(i, error);
        restart = true;
        break;
      }
    }
    if (!restart) return { data, outcomes };
  }
}
