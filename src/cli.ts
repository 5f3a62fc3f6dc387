import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { Command, CommanderError, Option } from 'commander';
import type { Context, ContextOverrides, Env, GlobalOptions, Interrupts, IO } from './context.js';
import { parseDuration } from './duration.js';
import { CliError, EXIT, errorDocument, usageError, type ExitKind } from './errors.js';
import type { View } from './output.js';
import { ENVIRONMENTS } from './hosts.js';
import { SecretScrubber } from './redact.js';
import { ALGORITHMS, DEFAULT_SIGNATURE, ENCODINGS } from './signature.js';
import { VERSION } from './version.js';

/** What every command module provides. Modules are loaded only when their command runs. */
interface CommandModule {
  run(options: never, ctx: Context): Promise<unknown>;
  render(result: never, view: View): string;
  /** Severity of the result when success alone does not say enough (status: due or expired). */
  exitKind?(result: never): ExitKind;
  /** One line for people on stderr. */
  summarize?(result: never): string;
  /** The command wrote its own output as it ran (servers): the result is not printed again. */
  streaming?: boolean;
}

const COMMANDS = {
  login: () => import('./commands/login.js'),
  renew: () => import('./commands/renew.js'),
  unsubscribe: () => import('./commands/unsubscribe.js'),
  logout: () => import('./commands/logout.js'),
  subscribe: () => import('./commands/subscribe.js'),
  status: () => import('./commands/status.js'),
  collections: () => import('./commands/collections.js'),
  keys: () => import('./commands/keys.js'),
  profiles: () => import('./commands/profiles.js'),
  emulator: () => import('./commands/emulator.js'),
  trigger: () => import('./commands/trigger.js'),
  listen: () => import('./commands/listen.js'),
} satisfies Record<string, () => Promise<CommandModule>>;

export type CommandName = keyof typeof COMMANDS;

/** Called by each command's action with its typed options; tests pass a recorder. */
export type Dispatch = (name: CommandName, options: object, globals: GlobalOptions) => Promise<void>;

export interface RunDeps {
  io: IO;
  env: Env;
  cwd?: string;
  overrides?: ContextOverrides;
}

export type { Interrupts };

const collect = (value: string, previous: string[]) => [...previous, value];

function integer(flag: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < min || !Number.isSafeInteger(n)) throw usageError('bad-number', `${flag} takes a whole number of at least ${min}, not "${value}".`);
    return n;
  };
}

function duration(flag: string) {
  return (value: string): number => {
    const seconds = parseDuration(value);
    if (seconds === undefined) throw usageError('bad-duration', `${flag} takes a duration such as 90m, 36h, 7d or 2w, not "${value}".`);
    return seconds;
  };
}

/** An environment switch: set and not '', 0, false or no. */
const truthy = (value: string | undefined) => value !== undefined && !['', '0', 'false', 'no'].includes(value.toLowerCase());

/** The global options, resolved flag > environment > default. */
export function resolveGlobals(raw: Record<string, unknown>, env: Env): GlobalOptions {
  return {
    profile: (raw.profile as string | undefined) ?? (env.PROTIME_PROFILE || 'default'),
    configDir: (raw.configDir as string | undefined) ?? (env.PROTIME_HOOKS_CONFIG_DIR || defaultConfigDir(env)),
    json: Boolean(raw.json),
    quiet: Boolean(raw.quiet),
    debug: Boolean(raw.debug) || truthy(env.PROTIME_HOOKS_DEBUG),
    color: raw.color !== false && env.NO_COLOR === undefined && env.TERM !== 'dumb',
    input: raw.input !== false,
  };
}

function defaultConfigDir(env: Env): string {
  const home = env.HOME || env.USERPROFILE || '.';
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'protime-hooks');
}

/** The command tree. It knows argv; it does no work beyond turning flags into options. */
export function buildProgram(dispatch: Dispatch, io: IO, env: Env, onError: (message: string) => void = () => undefined): Command {
  const program = new Command('protime-hooks')
    .description('Create, watch and renew Protime API webhooks without ever losing a webhook key.')
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .option('--profile <name>', 'stored profile to use (env PROTIME_PROFILE, default "default")')
    .option('--config-dir <path>', 'where state lives (env PROTIME_HOOKS_CONFIG_DIR, default $XDG_CONFIG_HOME/protime-hooks)')
    .option('--json', 'machine output: exactly one JSON document on stdout, errors included')
    .option('-q, --quiet', 'print only errors on stderr')
    .option('--debug', 'trace HTTP on stderr with secrets redacted (env PROTIME_HOOKS_DEBUG=1)')
    .option('--no-color', 'no ANSI colours (env NO_COLOR)')
    .option('--no-input', 'never prompt; missing input is a usage error')
    .option('--env-file <path>', 'load environment variables from this file (a .env in the current folder is read when present)')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text) => onError(text.replace(/^error: /, '').trim()),
    });

  const act = (name: CommandName, toOptions: (opts: Record<string, any>, args: string[]) => object) =>
    async function (this: Command) {
      const options = toOptions(this.opts(), this.args);
      await dispatch(name, options, resolveGlobals(this.optsWithGlobals(), env));
    };

  program
    .command('login')
    .description('store OAuth2 client credentials for a tenant and cache a token')
    .option('--tenant <name>', 'the subdomain of your myProtime URL (env PROTIME_TENANT)')
    .option('--client-id <id>', 'API client id (env PROTIME_CLIENT_ID)')
    .option('--client-secret-stdin', 'read the client secret from stdin')
    .option('--client-secret-file <path>', 'read the client secret from a file (env PROTIME_CLIENT_SECRET_FILE; or PROTIME_CLIENT_SECRET)')
    .addOption(new Option('--client-secret <secret>').hideHelp())
    .addOption(new Option('--environment <name>', 'picks the default hosts (env PROTIME_ENVIRONMENT)').choices(ENVIRONMENTS))
    .option('--api-url <url>', 'override the API root (env PROTIME_API_URL)')
    .option('--token-url <url>', 'override the token endpoint (env PROTIME_TOKEN_URL)')
    .option('--user-agent <ua>', 'User-Agent sent to Protime, "Name/Version (Company)" recommended (env PROTIME_USER_AGENT)')
    .option('--scope <scope...>', 'scopes to request besides connector-protimeapi-webhooks.read/.write')
    .action(
      act('login', (o) => {
        if (o.clientSecret !== undefined) {
          throw usageError('secret-in-argv', 'Refusing --client-secret: a secret on the command line is visible to every user of this machine and stays in shell history.', 'Use --client-secret-stdin, --client-secret-file <path>, PROTIME_CLIENT_SECRET_FILE, PROTIME_CLIENT_SECRET, or the prompt.');
        }
        const environment = o.environment ?? env.PROTIME_ENVIRONMENT ?? 'production';
        if (!(ENVIRONMENTS as readonly string[]).includes(environment)) {
          throw usageError('bad-environment', `PROTIME_ENVIRONMENT must be production or sandbox, not "${environment}".`);
        }
        return {
          tenant: o.tenant ?? env.PROTIME_TENANT,
          clientId: o.clientId ?? env.PROTIME_CLIENT_ID,
          clientSecretStdin: Boolean(o.clientSecretStdin),
          clientSecretFile: o.clientSecretFile ?? (env.PROTIME_CLIENT_SECRET_FILE || undefined),
          clientSecretEnv: env.PROTIME_CLIENT_SECRET,
          environment,
          apiUrl: o.apiUrl ?? (env.PROTIME_API_URL || undefined),
          tokenUrl: o.tokenUrl ?? (env.PROTIME_TOKEN_URL || undefined),
          userAgent: o.userAgent ?? (env.PROTIME_USER_AGENT || undefined),
          scopes: o.scope ?? [],
        };
      }),
    );

  program
    .command('logout')
    .description("forget the profile's client secret and cached token (subscriptions and keys stay)")
    .option('--purge', 'also forget the profile and its subscription records, keys included')
    .option('-y, --yes', 'do not ask before purging')
    .action(act('logout', (o) => ({ purge: Boolean(o.purge), yes: Boolean(o.yes) })));

  program
    .command('subscribe')
    .description('create a webhook for a collection and keep its key')
    .argument('<collection>', 'one of the 18 collections (see `collections`)')
    .option('--url <destinationUrl>', 'where Protime sends events: https (http only for localhost)')
    .option('--external-ref <collection,reference>', 'add an external reference, e.g. people,@employee-number (repeatable)', collect, [])
    .option('--force', 'create even if an enabled subscription to the same URL exists')
    .option('--dry-run', 'show the request that would be sent; send nothing')
    .option('--wait <duration>', 'wait this long for another run holding the profile (default: exit 75 at once)', duration('--wait'))
    .action(
      act('subscribe', (o, args) => ({ collection: args[0], url: o.url, externalRefs: o.externalRef, force: Boolean(o.force), dryRun: Boolean(o.dryRun), waitSeconds: o.wait })),
    );

  program
    .command('renew')
    .description('replace due subscriptions before they expire (for cron: silent and exit 0 when nothing is due)')
    .argument('[id...]', 'renew these, due or not (default: every due subscription)')
    .option('--keep-old', 'leave the old webhook to expire instead of deleting it')
    .option('--recreate', 'also replace expired, disabled and missing ones (after re-syncing the collection)')
    .option('--renew-within <duration>', 'due when less than this is left (default: min(7d, a third of the lifetime))', duration('--renew-within'))
    .option('--dry-run', 'show the plan; change nothing')
    .option('--wait <duration>', 'wait this long for another run holding the profile (default: exit 75 at once)', duration('--wait'))
    .action(
      act('renew', (o, args) => ({
        ids: args, keepOld: Boolean(o.keepOld), recreate: Boolean(o.recreate), dryRun: Boolean(o.dryRun), renewWithinSeconds: o.renewWithin, waitSeconds: o.wait,
      })),
    );

  program
    .command('unsubscribe')
    .description('delete a webhook on Protime; the local record is kept, its key removed')
    .argument('<id>', 'the webhook id (see status)')
    .option('-y, --yes', 'do not ask (required without a terminal)')
    .option('--wait <duration>', 'wait this long for another run holding the profile', duration('--wait'))
    .action(act('unsubscribe', (o, args) => ({ id: args[0], yes: Boolean(o.yes), waitSeconds: o.wait })));

  program
    .command('status')
    .description('show every subscription and whether renewal is due (exit 0 ok, 3 due, 5 expired/disabled/missing)')
    .option('--collection <name>', 'only this collection')
    .option('--renew-within <duration>', 'due when less than this is left (default: min(7d, a third of the lifetime))', duration('--renew-within'))
    .option('--offline', 'local records only; no network')
    .action(act('status', (o) => ({ collection: o.collection, renewWithinSeconds: o.renewWithin, offline: Boolean(o.offline) })));

  const emulator = program
    .command('emulator')
    .description('run a local stand-in for Protime (token endpoint, webhooks API, signed deliveries) until Ctrl-C')
    .option('--port <port>', 'port on 127.0.0.1 (0 = a free port)', integer('--port', 0), 4010)
    .option('--tenant <name>', 'tenant name', 'demo')
    .option('--client-id <id>', 'client id it accepts', 'demo')
    .option('--client-secret <secret>', 'client secret it accepts (a test value, not a real secret)', 'demo-secret')
    .option('--validity <duration>', 'lifetime of a new webhook', duration('--validity'), 30 * 86_400)
    .option('--token-ttl <seconds>', 'access token lifetime', integer('--token-ttl', 1), 1800)
    .option('--page-size <n>', 'webhooks per list page', integer('--page-size', 1), 50)
    .option('--max-failures <n>', 'failed deliveries before a webhook is disabled', integer('--max-failures', 1), 5)
    .option('--state-file <path>', 'keep webhooks across restarts in this file (in memory otherwise)')
    .action(
      act('emulator', (o) => ({
        port: o.port, tenant: o.tenant, clientId: o.clientId, clientSecret: o.clientSecret, validitySeconds: o.validity,
        tokenTtlSeconds: o.tokenTtl, pageSize: o.pageSize, maxFailures: o.maxFailures, stateFile: o.stateFile,
      })),
    );
  emulator
    .command('trigger')
    .description('make a running emulator emit change events to its webhooks')
    .argument('<collection>', 'collection of the events')
    .option('--count <n>', 'how many events', integer('--count', 1), 1)
    .addOption(new Option('--change-type <type>', 'kind of change').choices(['InsertOrUpdate', 'Delete']).default('InsertOrUpdate'))
    .option('--emulator-url <url>', 'the emulator (env PROTIME_EMULATOR_URL)')
    .action(
      act('trigger', (o, args) => ({
        collection: args[0], count: o.count, changeType: o.changeType, emulatorUrl: o.emulatorUrl ?? env.PROTIME_EMULATOR_URL ?? 'http://127.0.0.1:4010',
      })),
    );

  program
    .command('listen')
    .description('receive deliveries locally, verify their signatures with the keys held, print one NDJSON line each')
    .option('--port <port>', 'port to listen on (0 = a free port)', integer('--port', 0), 8787)
    .option('--host <address>', 'address to bind', '127.0.0.1')
    .option('--path <path>', 'path deliveries are posted to', '/')
    .option('--signature-header <name>', 'header carrying the signature', DEFAULT_SIGNATURE.header)
    .addOption(new Option('--algorithm <name>', 'HMAC hash').choices(ALGORITHMS).default(DEFAULT_SIGNATURE.algorithm))
    .addOption(new Option('--encoding <name>', 'signature encoding').choices(ENCODINGS).default(DEFAULT_SIGNATURE.encoding))
    .option('--count <n>', 'stop after this many deliveries', integer('--count', 1))
    .action(
      act('listen', (o) => ({
        port: o.port, host: o.host, path: o.path.startsWith('/') ? o.path : `/${o.path}`, signatureHeader: o.signatureHeader,
        algorithm: o.algorithm, encoding: o.encoding, count: o.count,
      })),
    );

  program
    .command('keys')
    .description('print the webhook keys a receiver should accept now (current ones, and replaced ones until they expire)')
    .option('--collection <name>', 'only this collection')
    .action(act('keys', (o) => ({ collection: o.collection })));

  program.command('collections').description('list the 18 collections that support webhooks').action(act('collections', () => ({})));
  program.command('profiles').description('list stored profiles').action(act('profiles', () => ({})));
  return program;
}

/** Runs one invocation and returns its exit code; never throws. */
export async function run(argv: string[], deps: RunDeps): Promise<number> {
  const { io, env } = deps;
  const end = argv.indexOf('--');
  const flags = end === -1 ? argv : argv.slice(0, end);
  const json = flags.includes('--json');
  const debug = flags.includes('--debug');
  const scrubber = new SecretScrubber();
  let exitCode: number = EXIT.ok;
  let parseMessage = '';
  try {
    loadEnvFiles(flags, env, deps.cwd ?? process.cwd());
    const dispatch: Dispatch = async (name, options, globals) => {
      exitCode = await execute(name, options, globals, deps, scrubber);
    };
    await buildProgram(dispatch, io, env, (message) => (parseMessage = message)).parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return EXIT.ok;
      // No command at all: commander already printed the help on stderr; that is the message.
      if (error.code === 'commander.help') return EXIT.usage;
      const usage = usageError('usage', parseMessage || error.message.replace(/^error: /, ''), 'Run `protime-hooks --help` (or `<command> --help`) for usage.');
      return report(usage, io, json, debug, scrubber);
    }
    return report(error, io, json, debug || truthy(env.PROTIME_HOOKS_DEBUG), scrubber);
  }
}

async function execute(name: CommandName, options: object, globals: GlobalOptions, deps: RunDeps, scrubber: SecretScrubber): Promise<number> {
  const [{ createContext }, module] = await Promise.all([import('./context.js'), COMMANDS[name]() as Promise<CommandModule>]);
  const ctx = await createContext(globals, deps.io, deps.env, { ...deps.overrides, scrubber });
  const result = await module.run(options as never, ctx);
  if (module.streaming) {
    // Already written while running.
  } else if (globals.json) {
    deps.io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    const view: View = { tty: deps.io.stdoutIsTTY, color: globals.color && deps.io.stdoutIsTTY, now: ctx.now() };
    const text = module.render(result as never, view);
    if (text) deps.io.stdout.write(text);
  }
  const kind = module.exitKind?.(result as never) ?? 'ok';
  const summary = module.summarize?.(result as never);
  if (summary) (kind === 'ok' ? ctx.log.info : kind === 'attention' || kind === 'temporary' ? ctx.log.warn : ctx.log.error)(summary);
  return EXIT[kind];
}

/** Prints an error (one JSON document under --json) and returns its exit code. */
function report(error: unknown, io: IO, json: boolean, debug: boolean, scrubber: SecretScrubber): number {
  const known = error instanceof CliError
    ? error
    : new CliError('failure', `Unexpected error: ${(error as Error)?.message ?? String(error)}`, {
        code: 'internal-error',
        hint: debug ? 'This is a bug in protime-hooks; please report it with the trace above.' : 'This is a bug in protime-hooks; run again with --debug for details.',
        cause: error,
      });
  if (debug && !(error instanceof CliError && error.kind === 'usage')) {
    io.stderr.write(`${scrubber.scrub(String((error as Error)?.stack ?? error))}\n`);
  }
  if (json) {
    const doc = errorDocument(known);
    io.stdout.write(`${scrubber.scrub(JSON.stringify(doc, null, 2))}\n`);
  } else {
    const lines = [`Error: ${known.message}`, ...known.reasons.map((r) => `  - ${r}`), ...(known.hint ? [known.hint] : [])];
    io.stderr.write(`${scrubber.scrub(lines.join('\n'))}\n`);
  }
  return known.exitCode;
}

/** --env-file, then ./.env; variables already set win, so the shell always overrides a file. */
function loadEnvFiles(argv: string[], env: Env, cwd: string): void {
  const index = argv.findIndex((a) => a === '--env-file' || a.startsWith('--env-file='));
  const files: Array<{ path: string; required: boolean }> = [];
  if (index !== -1) {
    const arg = argv[index]!;
    const path = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[index + 1];
    if (!path) throw usageError('usage', '--env-file needs a path.');
    files.push({ path, required: true });
  }
  files.push({ path: join(cwd, '.env'), required: false });
  for (const { path, required } of files) {
    if (!required && !existsSync(path)) continue;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw usageError('env-file', `Cannot read --env-file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`);
    }
    for (const [name, value] of Object.entries(parseEnv(text))) if (env[name] === undefined) env[name] = value;
  }
}

function processIO(): IO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    stdinIsTTY: Boolean(process.stdin.isTTY),
  };
}

/** The binary's entry point: the one place that exits the process. */
export async function main(): Promise<void> {
  let claimed: ((signal: string) => void) | undefined;
  const onSignal = (signal: string) => {
    // A server that claimed the signal shuts down cleanly; otherwise (or at a second Ctrl-C) stop now.
    const resume = claimed;
    claimed = undefined;
    if (resume) resume(signal);
    else process.exit(EXIT.interrupted);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const interrupts: Interrupts = { claim: () => new Promise((resolve) => (claimed = resolve)) };
  // `protime-hooks status | head -1` closes the pipe early; that is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => process.exit(error.code === 'EPIPE' ? EXIT.ok : EXIT.failure));
  const code = await run(process.argv.slice(2), { io: processIO(), env: process.env, overrides: { interrupts } });
  // Let piped stdout drain before exiting; idle keep-alive sockets would otherwise hold the process.
  process.stdout.write('', () => process.exit(code));
}
