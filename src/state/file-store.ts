import { chmodSync, closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../shared/atomic-file.js';
import { describeIssue } from '../shared/describe-issue.js';
import { CliError, failure, temporary } from '../shared/errors.js';
import { describeWriteError } from '../shared/fs-errors.js';
import { CHECKED_FILE, checkedLine, identityOf, STATE_FILE } from './file-identity.js';
import { applyAll, GroupCommit, type Pending } from './group-commit.js';
import { acquireLock } from './lock.js';
import { ensurePrivateDir } from './private-dir.js';
import { acquireRunLock } from './runlock.js';
import type { StoreData } from './schemas.js';
import { statusIndexCurrent, writeStatusIndex } from './status-index.js';
import type { Release, RunLockOptions, Store } from './store.js';
import { loadStoreSchema, type StoreSchema } from './store-schema.js';
import { PLAIN_STORE_VERSION, STORE_VERSION } from './versions.js';

/** The store lock's files are named from this. */
const FILE_NAME = 'state';
/** How long a burst of commits may keep the store lock before letting others have it. */
const HOLD_MS = 250;
// Beside the state file, state.checked: the identity of the last version of it found valid, and by
// which release. A command that finds the file unchanged since then skips zod altogether (loading
// and running it was a quarter of `status --offline` on 1000 records). Only a cache: anything else
// in it, or none, and the file is validated. state.status (status-index.ts) is the other cache.

/** What readNow returns when the file must be validated and the caller has not loaded the schema. */
const NEEDS_SCHEMA = Symbol('needs schema');

function emptyStore(): StoreData {
  return { schemaVersion: PLAIN_STORE_VERSION, profiles: {}, subscriptions: {} };
}

/**
 * The embedded store: everything in one JSON file (0600) in one folder (0700). Reads are lock-free
 * snapshots; every change goes through `update`, which holds an inter-process lock around
 * read-modify-write so concurrent runs (cron plus a human) never lose each other's writes.
 */
export class FileStore implements Store {
  readonly dir: string;
  readonly file: string;
  readonly location: string;
  readonly checkedFile: string;
  readonly #warn: (message: string) => void;
  /** The identity (device, inode, size, mtime, ctime) of the file last found valid. */
  #validated: string | undefined;
  /** The last snapshot read() gave, and the identity of the file it was read from. */
  #snapshot: { identity: string; data: StoreData } | undefined;
  /**
   * What this process last wrote, and the file's identity right after: while the file is still that
   * one, the next change starts from this data instead of parsing the file again (on a state of
   * 1000 records, parsing was a third of a renew's CPU). Taken by the next commit, so never shared.
   */
  #working: { identity: string; data: StoreData } | undefined;
  /** The identity of the file this process last wrote, until it is recorded in state.checked. */
  #lastWritten: string | undefined;

  constructor(dir: string, warn: (message: string) => void = () => undefined) {
    this.dir = dir;
    this.#warn = warn;
    ensurePrivateDir(dir, warn);
    this.file = join(dir, STATE_FILE);
    this.checkedFile = join(dir, CHECKED_FILE);
    this.location = this.file;
  }

  /**
   * A snapshot, shared by every read of the same file and frozen, so no reader can change what
   * another sees (changes go through update, which gets a copy of its own).
   */
  async read(): Promise<StoreData> {
    const data = this.readNow(true, undefined);
    return data === NEEDS_SCHEMA ? this.#readWith(true, await loadStoreSchema()) : data;
  }

  #readWith(snapshot: boolean, schema: StoreSchema): StoreData {
    return this.readNow(snapshot, schema) as StoreData;
  }

  runLock(profile: string, command: string, options: RunLockOptions): Promise<Release> {
    return acquireRunLock({ dir: this.dir, profile, ...options }, command);
  }

  /**
   * read(), synchronously: the file is small and local, and update() reads it under its lock.
   * Without `schema`, a file that must be validated gives NEEDS_SCHEMA (the caller loads it and asks again).
   */
  private readNow(snapshot: boolean, schema: StoreSchema | undefined): StoreData | typeof NEEDS_SCHEMA {
    // Read as conf itself reads it (the whole file, JSON), without loading conf: most commands only read.
    // A link would have every secret written wherever it points: refuse it, as ssh refuses odd key files.
    if (lstatSync(this.file, { throwIfNoEntry: false })?.isSymbolicLink()) {
      throw failure(
        'store-symlink',
        `The state file ${this.file} is a symbolic link; protime-hooks writes secrets only to a regular file.`,
        {
          hint: 'Replace the link with the file itself (or point --config-dir at the folder that holds it).',
        },
      );
    }
    this.#tighten();
    let raw: unknown;
    let identity: string;
    try {
      // Opened once: the identity and the bytes are those of the same file, whatever is renamed over it.
      const fd = openSync(this.file, 'r');
      try {
        const stat = fstatSync(fd, { bigint: true });
        identity = identityOf(stat);
        if (snapshot && this.#snapshot?.identity === identity) return this.#snapshot.data;
        raw = JSON.parse(readFileSync(fd, 'utf8'));
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyStore();
      throw unreadable(this.file, error);
    }
    if (raw && typeof raw === 'object' && Object.keys(raw).length === 0) return emptyStore();
    // Checked before the schema: a newer format may not match this version's schema at all, and
    // must then read as "upgrade", not as "damaged".
    const version = (raw as { schemaVersion?: unknown } | null)?.schemaVersion;
    if (typeof version === 'number' && version > STORE_VERSION) {
      throw failure('store-too-new', `The state file ${this.file} was written by a newer protime-hooks (format ${version}).`, {
        hint: 'Upgrade protime-hooks; this version leaves the file untouched.',
      });
    }
    // The same file (no write can keep its inode, size, mtime and ctime) found valid already in this
    // process: parsed again, since callers change what they get, but not validated again. A renew
    // reads the store a few times per replacement; validating each was most of its CPU.
    let data = raw as StoreData;
    if (identity !== this.#validated && !this.#checkedBefore(identity)) {
      if (!schema) return NEEDS_SCHEMA;
      const parsed = schema.safeParse(raw);
      if (!parsed.success) {
        throw failure('store-invalid', `The state file ${this.file} is damaged (${describeIssue(parsed.error)}).`, {
          hint: 'It was left untouched. Restore it from a backup, or move it aside to start afresh (its webhook keys would be lost).',
        });
      }
      this.#validated = identity;
      this.#recordChecked(identity);
      data = parsed.data;
    }
    if (snapshot) this.#snapshot = { identity, data: deepFreeze(data) };
    return data;
  }

  /**
   * Writes state.status for the snapshot last read, unless it is there already: `make` gives its
   * text. Only status asks: making it costs about 10 ms on 1000 records, which no other command
   * should pay. A state with sealed secrets gets none (they need the store key, which only the CLI has).
   */
  indexStatus(make: (data: StoreData) => string): void {
    const snapshot = this.#snapshot;
    if (!snapshot || snapshot.data.schemaVersion !== PLAIN_STORE_VERSION || statusIndexCurrent(this.dir, snapshot.identity)) return;
    let text: string;
    try {
      text = make(snapshot.data);
    } catch {
      return; // a record the index cannot hold (a validUntil that is no time): the CLI answers, and says so
    }
    writeStatusIndex(this.dir, snapshot.identity, text);
  }

  /**
   * Locks, reads the current file, lets `change` mutate it, and writes it back atomically and
   * durably (file and folder fsync'ed) before releasing the lock. Returns what `change` returns.
   * Nothing of a `change` that throws is written.
   *
   * Changes asked for while a write is in flight share the next write (group-commit.ts).
   */
  update<T>(change: (data: StoreData) => T | Promise<T>): Promise<T> {
    return this.#commits.enqueue(change);
  }

  readonly #commits = new GroupCommit((batch, more) => this.#commit(batch, more));
  /** The store lock, kept from one commit to the next while changes keep arriving (up to HOLD_MS). */
  #held: { release: () => Promise<void>; since: number } | undefined;

  async #commit(batch: Pending[], more: () => boolean): Promise<void> {
    let held = this.#held;
    this.#held = undefined;
    if (!held) {
      try {
        // Taking the lock writes too (its folder and owner file): a full disk shows here first.
        held = { release: await this.#lock(), since: Date.now() };
      } catch (error) {
        const failed = error instanceof CliError ? error : this.#writeFailure(error);
        for (const pending of batch) pending.reject(failed);
        return;
      }
    }
    let settle: (pending: Pending, i: number) => void;
    try {
      const schema = await loadStoreSchema();
      // A change that throws may have half-done its work: applyAll then asks again, for the file.
      let base = this.#takeWorking();
      const read = () => {
        const data = base ?? this.#readWith(false, schema);
        base = undefined;
        return data;
      };
      const { data, outcomes } = await applyAll(batch, read);
      let writeError: CliError | undefined;
      if (outcomes.some((o) => o.ok)) {
        try {
          await writeFileAtomic(this.file, `${JSON.stringify(data, undefined, '\t')}\n`, 0o600);
          // What this process just wrote, under the lock, from data it had validated and changed
          // only through typed code: not validated again on its next read (another process does).
          const identity = identityOf(lstatSync(this.file, { bigint: true }));
          this.#validated = identity;
          this.#working = { identity, data };
          // Recorded in state.checked once, as the process exits: a renew writes hundreds of times.
          this.#lastWritten = identity;
          recordAtExit(this);
        } catch (error) {
          writeError = this.#writeFailure(error);
        }
      }
      settle = (pending, i) => {
        const outcome = outcomes[i]!;
        if (!outcome.ok) pending.reject(outcome.error);
        else if (writeError) pending.reject(writeError);
        // A copy: what a change returns may be part of the data the next change starts from.
        else pending.resolve(structuredClone(outcome.value));
      };
    } catch (error) {
      // The file could not be read (damaged, or a link): every change in the batch is refused.
      settle = (pending) => pending.reject(error);
    }
    // Kept for the changes already waiting, so a burst (eight renew workers) takes the lock once,
    // but never for long: other processes wait for it. Otherwise released before anyone hears
    // back: a process that exits right after its update leaves no lock.
    if (more() && Date.now() - held.since < HOLD_MS) this.#held = held;
    else await held.release().catch(() => undefined);
    batch.forEach(settle);
  }

  /** Whether the state file, as `identity` names it, was found valid by this release before (state.checked says so). */
  #checkedBefore(identity: string): boolean {
    let text: string;
    try {
      text = readFileSync(this.checkedFile, 'utf8');
    } catch {
      return false;
    }
    if (text !== checkedLine(identity)) return false;
    this.#validated = identity;
    return true;
  }

  /** At exit: the file this process last wrote, if it is still that one, is recorded as valid for the next process. */
  recordLastWrite(): void {
    const identity = this.#lastWritten;
    this.#lastWritten = undefined;
    try {
      const stat = identity && lstatSync(this.file, { bigint: true, throwIfNoEntry: false });
      if (stat && identityOf(stat) === identity) this.#recordChecked(identity);
    } catch {
      // A cache, at exit: the next command validates instead.
    }
  }

  /** Best effort: a folder that cannot be written (read-only, full) only means the next command validates again. */
  #recordChecked(identity: string): void {
    let fd: number | undefined;
    try {
      // Never through a link, as for the state file itself.
      fd = openSync(this.checkedFile, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
      writeSync(fd, checkedLine(identity));
    } catch {
      // A cache: nothing is lost.
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** The data this process last wrote, if the file is still the one it wrote (else the file is read). */
  #takeWorking(): StoreData | undefined {
    const working = this.#working;
    this.#working = undefined;
    // lstat: a link put in the file's place has an identity of its own, and readNow refuses it.
    const stat = working && lstatSync(this.file, { bigint: true, throwIfNoEntry: false });
    return stat && identityOf(stat) === working.identity ? working.data : undefined;
  }

  /** A state file others can read is tightened (it holds every secret), read-only commands included. */
  #tighten(): void {
    const stat = statSync(this.file, { throwIfNoEntry: false });
    if (!stat || (stat.mode & 0o077) === 0) return;
    try {
      chmodSync(this.file, 0o600);
      this.#warn(`${this.file} could be read by other users (mode ${(stat.mode & 0o777).toString(8)}); it is 0600 now.`);
    } catch {
      throw failure(
        'store-unsafe',
        `${this.file} can be read by other users (mode ${(stat.mode & 0o777).toString(8)}) and could not be tightened.`,
        {
          hint: `Run \`chmod 600 ${this.file}\`.`,
        },
      );
    }
  }

  #writeFailure(error: unknown): CliError {
    return failure('store-write-failed', `Could not write the state file ${this.file}: ${describeWriteError(error)}.`, {
      hint: 'The file was left as it was before this change. Free the space or fix the permissions, then run the command again.',
      cause: error,
    });
  }

  #lock(): Promise<() => Promise<void>> {
    return acquireLock({
      base: join(this.dir, FILE_NAME),
      command: 'store update',
      // Writers hold the lock for milliseconds: a busy store after 20 s means something is wrong.
      waitMs: 20_000,
      staleMs: 10_000,
      busy: () =>
        temporary('store-locked', `Could not lock ${this.file}: another protime-hooks process keeps it busy.`, {
          hint: 'Try again in a moment.',
        }),
    });
  }
}

/** File stores that wrote in this process: one exit listener records each one's last write. */
const written = new Set<FileStore>();

function recordAtExit(store: FileStore): void {
  if (written.size === 0) {
    process.once('exit', () => {
      for (const each of written) each.recordLastWrite();
      written.clear();
    });
  }
  written.add(store);
}

function unreadable(file: string, error: unknown) {
  const reason = error instanceof SyntaxError ? 'it is not valid JSON' : (error as Error).message;
  return failure('store-unreadable', `Cannot read the state file ${file}: ${reason}.`, {
    hint: 'It was left untouched. Restore it from a backup, or move it aside to start afresh (its webhook keys would be lost).',
    cause: error,
  });
}

/** Freezes a parsed JSON value all the way down: a shared snapshot must not be changed by anyone. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
