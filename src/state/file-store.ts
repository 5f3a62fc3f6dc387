import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type Conf from 'conf';
import { describeIssue } from '../shared/describe-issue.js';
import { failure, temporary } from '../shared/errors.js';
import { acquireLock } from './lock.js';
import { acquireRunLock } from './runlock.js';
import { STORE_VERSION, type StoreData, storeSchema } from './schemas.js';
import type { Release, RunLockOptions, Store } from './store.js';

const FILE_NAME = 'state';

function emptyStore(): StoreData {
  return { schemaVersion: STORE_VERSION, profiles: {}, subscriptions: {} };
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
  #conf?: Conf<StoreData>;

  constructor(dir: string) {
    this.dir = dir;
    ensurePrivateDir(dir);
    this.file = join(dir, `${FILE_NAME}.json`);
    this.location = this.file;
  }

  async read(): Promise<StoreData> {
    return this.readNow();
  }

  runLock(profile: string, command: string, options: RunLockOptions): Promise<Release> {
    return acquireRunLock({ dir: this.dir, profile, ...options }, command);
  }

  /** read(), synchronously: the file is small and local, and update() reads it under its lock. */
  private readNow(): StoreData {
    // Read as conf itself reads it (the whole file, JSON), without loading conf: most commands only read.
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(this.file, 'utf8'));
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
    const parsed = storeSchema.safeParse(raw);
    if (!parsed.success) {
      throw failure('store-invalid', `The state file ${this.file} is damaged (${describeIssue(parsed.error)}).`, {
        hint: 'It was left untouched. Restore it from a backup, or move it aside to start afresh (its webhook keys would be lost).',
      });
    }
    return parsed.data;
  }

  /**
   * Locks, reads the current file, lets `change` mutate it, and writes it back atomically and
   * durably (file and folder fsync'ed) before releasing the lock. Returns what `change` returns.
   * Nothing is written when `change` throws.
   */
  async update<T>(change: (data: StoreData) => T | Promise<T>): Promise<T> {
    const release = await this.#lock();
    try {
      const data = this.readNow();
      const result = await change(data);
      (await this.#writer()).store = data;
      chmodSync(this.file, 0o600);
      fsyncDir(this.dir);
      return result;
    } finally {
      await release().catch(() => undefined);
    }
  }

  /** conf does the atomic, fsync'ed write; it is loaded on the first write only (it costs start-up time). */
  async #writer(): Promise<Conf<StoreData>> {
    if (!this.#conf) {
      const { default: Conf } = await import('conf');
      this.#conf = new Conf<StoreData>({
        cwd: this.dir,
        configName: FILE_NAME,
        projectName: 'protime-hooks',
        projectSuffix: '',
        configFileMode: 0o600,
        clearInvalidConfig: false,
        accessPropertiesByDotNotation: false,
      });
    }
    return this.#conf;
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

/** Creates the folder 0700, and tightens an existing one we own that is more open than that. */
export function ensurePrivateDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { mode, uid } = statSync(dir);
    if ((mode & 0o077) !== 0 && uid === process.getuid?.()) chmodSync(dir, 0o700);
  } catch (error) {
    throw failure('config-dir', `Cannot use ${dir} for protime-hooks state: ${(error as Error).message}`, {
      hint: 'Choose another folder with --config-dir or PROTIME_HOOKS_CONFIG_DIR.',
      cause: error,
    });
  }
}

/** Makes a rename inside `dir` survive a power cut, not only the file's bytes. */
function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function unreadable(file: string, error: unknown) {
  const reason = error instanceof SyntaxError ? 'it is not valid JSON' : (error as Error).message;
  return failure('store-unreadable', `Cannot read the state file ${file}: ${reason}.`, {
    hint: 'It was left untouched. Restore it from a backup, or move it aside to start afresh (its webhook keys would be lost).',
    cause: error,
  });
}
