// The wiring: the one place where real dependencies (store, HTTP, logger, clock) are built into a
// Context. cli/ builds it; commands/ and lifecycle/ receive it. May import protime/, state/, shared/.
import type { ConsolaInstance } from 'consola';
import pLimit, { type LimitFunction } from 'p-limit';
import { TokenProvider, type TokenSource } from './protime/auth.js';
import { ProtimeClient } from './protime/client.js';
import type { HttpSettings } from './protime/http.js';
import { readCaFile } from './shared/ca-file.js';
import { authError, usageError } from './shared/errors.js';
import { logLine, reporter } from './shared/log.js';
import { createNetwork } from './shared/network.js';
import { proxyPasswords } from './shared/proxy.js';
import { SecretScrubber } from './shared/redact.js';
import { checkUserAgent } from './shared/user-agent.js';
import { VERSION } from './shared/version.js';
import { FileStore } from './state/file-store.js';
import { PostgresStore, parseStoreUrl, storeSchemaName } from './state/postgres-store.js';
import type { ProfileEntry, StoreData } from './state/schemas.js';
import { parseStoreKey, STORE_KEY_VARIABLE } from './state/seal.js';
import { sealedStore } from './state/sealed-store.js';
import { learnSecrets, type Store } from './state/store.js';

/** The process's streams and whether each is a terminal. Tests pass in-memory ones. */
export interface IO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  stdinIsTTY: boolean;
  /** The terminal's width when stdout is one (tables and help fit it); undefined otherwise. */
  columns?: number;
}

export type Env = Record<string, string | undefined>;

/** The contract's global options, resolved (flag > environment > default) by cli.ts. */
export interface GlobalOptions {
  profile: string;
  /** Empty when no flag, variable or home names one; the store then refuses with no-config-dir. */
  configDir: string;
  /**
   * --store / PROTIME_HOOKS_STORE: a postgres:// URL selects the PostgreSQL store (the config dir
   * then holds no state); absent, the file store in the config dir.
   */
  store?: string;
  json: boolean;
  quiet: boolean;
  debug: boolean;
  color: boolean;
  /** False under --no-input: never prompt. */
  input: boolean;
}

/** Everything a command may touch. Built here for real runs; tests build their own. */
export interface Context {
  io: IO;
  env: Env;
  globals: GlobalOptions;
  /**
   * Messages for people, on stderr only, each `[level] message`. Under --quiet: errors at once,
   * warnings held back until an error or releaseHeld(), info and success not at all.
   */
  log: ConsolaInstance;
  /** Under --quiet: writes the warnings held back. cli/ calls it when the run ends non-zero (they say why). */
  releaseHeld(): void;
  now: () => Date;
  /** Requests through the environment's proxy, trusting Node's CAs: for anything not tied to a profile. */
  http: HttpSettings;
  /**
   * `http`, trusting the CA file too: PROTIME_HOOKS_CA_FILE, else `caFile` (`from` says where that
   * path came from). A missing, unreadable or non-PEM file is a usage error naming it.
   */
  httpFor(caFile: string | null | undefined, from: string): HttpSettings;
  /** Every secret seen is registered here so no stderr text can carry it. */
  scrubber: SecretScrubber;
  /** The state store, opened on first use (commands like `collections` never touch disk). */
  readonly store: Store;
  /** Closes the store if this context opened it (its pool would outlive an in-process run); cli/ calls it at the end. */
  close(): Promise<void>;
  /** The selected profile's stored entry; throws `not-logged-in` (exit 4) when there is none. */
  profileEntry(): Promise<ProfileEntry>;
  /** An API client for the selected profile; throws `not-logged-in` when it has no credentials. */
  client(): Promise<ProtimeClient>;
  /** For servers: resolves at SIGINT/SIGTERM so they can shut down cleanly. */
  untilInterrupted(): Promise<string>;
  /**
   * Runs tasks one at a time, in the order given: key hand-overs of concurrent renewals (the keys
   * file is rewritten from the store each time, so the last write must see every stored key).
   */
  serially: LimitFunction;
}

/** How a long-running command (emulator, listen) learns of Ctrl-C or SIGTERM instead of being killed. */
export interface Interrupts {
  /** Resolves with the signal's name at the next SIGINT/SIGTERM; until then they no longer exit. */
  claim(): Promise<string>;
}

export interface ContextOverrides {
  interrupts?: Interrupts;
  now?: () => Date;
  http?: Partial<HttpSettings>;
  /** Shared with cli.ts so error reports are scrubbed of the secrets this run saw. */
  scrubber?: SecretScrubber;
  /** --all-profiles: every profile's context writes through one store (one group-committed writer). */
  store?: Store;
}

/** Per-request timeout from PROTIME_HOOKS_TIMEOUT (seconds), default 15 s. */
export function timeoutMs(env: Env): number {
  const raw = env.PROTIME_HOOKS_TIMEOUT;
  if (raw === undefined || raw.trim() === '') return 15_000;
  const seconds = Number(raw);
  // Past 600 s a request would outlive any cron slot (and past ~24 days no timer can hold it).
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 600) {
    throw usageError('bad-timeout', `PROTIME_HOOKS_TIMEOUT must be a number of seconds from 0.001 to 600, not "${raw}".`);
  }
  return Math.round(seconds * 1000);
}

export async function createContext(globals: GlobalOptions, io: IO, env: Env, overrides: ContextOverrides = {}): Promise<Context> {
  const scrubber = overrides.scrubber ?? new SecretScrubber();
  const now = overrides.now ?? (() => new Date());
  const color = io.stderrIsTTY && globals.color;
  for (const password of proxyPasswords(env)) scrubber.add(password);
  const trace = globals.debug ? (line: string) => io.stderr.write(scrubber.scrub(logLine('debug', line, color))) : undefined;
  const network = createNetwork(env, { trace });
  const http: HttpSettings = {
    userAgent: `protime-hooks/${VERSION}`,
    timeoutMs: timeoutMs(env),
    maxRetries: 3,
    retryBaseMs: 500,
    maxDelayMs: 60_000,
    maxBodyBytes: 10 * 1024 * 1024,
    gate: new Map(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random: Math.random,
    trace,
    fetch: network.fetch,
    proxyFor: network.proxyFor,
    ...overrides.http,
  };
  const httpFor = (caFile: string | null | undefined, from: string): HttpSettings => {
    const path = env.PROTIME_HOOKS_CA_FILE || caFile;
    if (!path) return http;
    const withCa = createNetwork(env, { trace, ca: readCaFile(path, env.PROTIME_HOOKS_CA_FILE ? 'PROTIME_HOOKS_CA_FILE' : from) });
    return { ...http, fetch: withCa.fetch, proxyFor: withCa.proxyFor, ...overrides.http };
  };
  // One plain `[level]` style on a terminal and off it, so consola's core is all that is loaded.
  const { createConsola } = await import('consola/core');
  let store: Store | undefined = overrides.store;
  // Everything a person reads goes through the scrubber, whatever code wrote it.
  const messages = scrubbed(io.stderr, scrubber) as unknown as NodeJS.WriteStream;
  const report = reporter((text) => messages.write(text), { color, quiet: globals.quiet });
  const context: Context = {
    io,
    env,
    globals,
    now,
    http,
    httpFor,
    scrubber,
    log: createConsola({
      stdout: messages,
      stderr: messages,
      reporters: [report],
      // Set explicitly: consola lowers its default under NODE_ENV=test, which child processes inherit.
      // Under --quiet warnings still reach the reporter, which holds them back.
      level: globals.quiet ? 1 : globals.debug ? 4 : 3,
      // Never hold back repeated lines (consola's default): a process may exit before it writes them.
      throttle: 0,
    }),
    releaseHeld: () => report.release(),
    get store() {
      if (globals.store !== undefined) {
        store ??= openStore({ url: globals.store }, env, scrubber, context.log);
        return store;
      }
      if (!globals.configDir) {
        throw usageError(
          'no-config-dir',
          'Neither HOME nor XDG_CONFIG_HOME is set, so there is no default place for protime-hooks state.',
          'Pass --config-dir <path> or set PROTIME_HOOKS_CONFIG_DIR.',
        );
      }
      store ??= openStore({ configDir: globals.configDir }, env, scrubber, context.log);
      return store;
    },
    async close() {
      // A store handed in (--all-profiles) belongs to the context that opened it.
      if (store !== undefined && store !== overrides.store) await store.close?.();
    },
    async profileEntry() {
      const entry = (await context.store.read()).profiles[globals.profile];
      if (!entry) {
        throw authError('not-logged-in', `No profile named "${globals.profile}".`, {
          hint: `Run \`protime-hooks login${globals.profile === 'default' ? '' : ` --profile ${globals.profile}`}\`, or list profiles with \`protime-hooks profiles\`.`,
        });
      }
      return entry;
    },
    serially: pLimit(1),
    untilInterrupted: () => overrides.interrupts?.claim() ?? new Promise<string>(() => undefined),
    async client() {
      const entry = await context.profileEntry();
      // Checked again here: a state file written by hand or by 0.1 may hold one HTTP would refuse.
      const userAgent =
        entry.userAgent === null ? http.userAgent : checkUserAgent(entry.userAgent, `Profile "${globals.profile}"'s User-Agent`);
      const settings = { ...httpFor(entry.caFile, "the profile's CA file"), userAgent };
      const tokens = new TokenProvider(profileTokens(context.store, globals.profile), globals.profile, settings, now, (secret) =>
        scrubber.add(secret),
      );
      return new ProtimeClient(entry.apiUrl, tokens, settings);
    },
  };
  return context;
}

/**
 * The PostgreSQL store at `url` (its password, from the URL or PGPASSWORD, made known to the
 * scrubber first), else the file store in `configDir`; its secrets sealed at rest when PROTIME_HOOKS_STORE_KEY is set (a
 * malformed key is a usage error, the key itself made known to the scrubber first), and every
 * secret it yields learnt by the scrubber.
 */
function openStore(where: { configDir: string } | { url: string }, env: Env, scrubber: SecretScrubber, log: ConsolaInstance): Store {
  scrubber.add(env.PROTIME_HOOKS_STORE_KEY?.trim());
  scrubber.add(env.PGPASSWORD);
  let backend: Store;
  let clearWarning: string | undefined;
  if ('url' in where) {
    const target = parseStoreUrl(where.url, env);
    scrubber.add(target.password);
    backend = new PostgresStore(target, storeSchemaName(env));
    // A database is read by its admins and its backups: clear secrets there deserve a word.
    clearWarning = `Secrets are stored in clear in ${backend.location}: they are as safe as the database's permissions and backups. Set ${STORE_KEY_VARIABLE} to encrypt them.`;
  } else {
    backend = new FileStore(where.configDir, (message) => log.warn(message));
  }
  const key = parseStoreKey(env.PROTIME_HOOKS_STORE_KEY);
  return learningSecrets(
    sealedStore(backend, key, (message, level) => (level === 'warn' ? log.warn(message) : log.info(message)), { clearWarning }),
    scrubber,
  );
}

/** A profile's credentials and token cache, as the token provider sees them, kept in `store`. */
export function profileTokens(store: Store, profile: string): TokenSource {
  return {
    async load() {
      const entry = (await store.read()).profiles[profile];
      if (!entry?.clientSecret) return undefined;
      const { tokenUrl, clientId, clientSecret, scopes, token, tokenAuth } = entry;
      if (tokenAuth !== undefined && tokenAuth !== 'post' && tokenAuth !== 'basic') {
        throw usageError(
          'bad-token-auth',
          `Profile "${profile}" authenticates to the token endpoint with "${tokenAuth}", which this version of protime-hooks does not know.`,
          'Upgrade protime-hooks, or log in again with --token-auth post or basic.',
        );
      }
      return { credentials: { tokenUrl, clientId, clientSecret, scopes, tokenAuth }, token };
    },
    save: (token, clientSecret) =>
      store.update((data) => {
        const current = data.profiles[profile];
        // Only cache it if the profile was not logged out or re-keyed meanwhile.
        if (current && current.clientSecret === clientSecret) current.token = token;
      }),
  };
}

/**
 * What the logger writes to: `target`, with every known secret scrubbed. Written through at once
 * (no stream buffering of its own), so nothing is held back when the process exits.
 */
function scrubbed(target: NodeJS.WritableStream, scrubber: SecretScrubber): Pick<NodeJS.WritableStream, 'write'> {
  return { write: (chunk: string | Uint8Array) => target.write(scrubber.scrub(String(chunk))) };
}

/**
 * The store, with every secret it holds made known to the scrubber as it is read: an API that
 * echoes a key of another subscription, or the token, in an error is scrubbed too.
 */
function learningSecrets(store: Store, scrubber: SecretScrubber): Store {
  // read() hands out one snapshot per version of the store: each is learnt once, not per read.
  const learnt = new WeakSet<StoreData>();
  const learn = (data: StoreData) => {
    if (learnt.has(data)) return data;
    learnt.add(data);
    learnSecrets(scrubber, data);
    return data;
  };
  return {
    location: store.location,
    read: async () => learn(await store.read()),
    update: (change) => store.update((data) => change(learn(data))),
    runLock: (profile, command, options) => store.runLock(profile, command, options),
    health: store.health && (() => store.health!()),
    indexStatus: store.indexStatus && ((make) => store.indexStatus!(make)),
    close: async () => store.close?.(),
  };
}
