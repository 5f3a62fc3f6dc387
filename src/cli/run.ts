import { CommanderError } from 'commander';
import type { ContextOverrides, Env, GlobalOptions, IO } from '../context.js';
import { CliError, EXIT, errorDocument, usageError } from '../shared/errors.js';
import { logLine } from '../shared/log.js';
import type { View } from '../shared/output.js';
import { printedKeys, SecretScrubber } from '../shared/redact.js';
import { COMMANDS, type CommandModule, type CommandName, type Dispatch } from './commands.js';
import { loadEnvFiles } from './env-file.js';
import { colorWanted, truthy } from './options.js';
import { buildProgram } from './program.js';

export interface RunDeps {
  io: IO;
  env: Env;
  cwd?: string;
  overrides?: ContextOverrides;
}

/** Runs one invocation and returns its exit code; never throws. */
export async function run(argv: string[], deps: RunDeps): Promise<number> {
  const { io, env } = deps;
  const end = argv.indexOf('--');
  const flags = end === -1 ? argv : argv.slice(0, end);
  const json = flags.includes('--json');
  const debug = flags.includes('--debug');
  const color = deps.io.stderrIsTTY && colorWanted(!flags.includes('--no-color'), env);
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
      // Under --json a script still gets its one JSON document on stdout.
      if (error.code === 'commander.help') {
        if (!json) return EXIT.usage;
        return report(usageError('no-command', 'No command given.', 'Run `protime-hooks --help` for the commands.'), {
          io,
          json,
          debug,
          color,
          scrubber,
        });
      }
      const usage = usageError(
        'usage',
        parseMessage || error.message.replace(/^error: /, ''),
        'Run `protime-hooks --help` (or `<command> --help`) for usage.',
      );
      return report(usage, { io, json, debug, color, scrubber });
    }
    return report(error, { io, json, debug: debug || truthy(env.PROTIME_HOOKS_DEBUG), color, scrubber });
  }
}

async function execute(
  name: CommandName,
  options: object,
  globals: GlobalOptions,
  deps: RunDeps,
  scrubber: SecretScrubber,
): Promise<number> {
  const [{ createContext }, module] = await Promise.all([import('../context.js'), COMMANDS[name]() as Promise<CommandModule>]);
  const ctx = await createContext(globals, deps.io, deps.env, { ...deps.overrides, scrubber });
  try {
    if ((options as { allProfiles?: boolean }).allProfiles) {
      const { runAllProfiles } = await import('./all-profiles.js');
      return await runAllProfiles({ name, module, options, ctx, deps, scrubber, createContext });
    }
    let result: unknown;
    try {
      result = await module.run(options as never, ctx);
    } catch (error) {
      // Under --quiet, the warnings held back say why it failed: they come before the error.
      ctx.releaseHeld();
      throw error;
    }
    // Only the keys the result prints on purpose may stand on stdout; an echoed one is scrubbed.
    // Walked only if a key is found in the text: 1000 subscriptions' status has none.
    const printed = () => printedKeys(result);
    if (module.streaming) {
      // Already written while running.
    } else if (globals.json) {
      deps.io.stdout.write(scrubber.scrub(`${JSON.stringify(result, null, 2)}\n`, { printed }));
    } else {
      const { stdoutIsTTY: tty, columns } = deps.io;
      const view: View = { tty, color: globals.color && tty, now: ctx.now(), columns: tty ? columns : undefined };
      const text = module.render(result as never, view);
      if (text) deps.io.stdout.write(scrubber.scrub(text, { printed }));
    }
    const kind = module.exitKind?.(result as never) ?? 'ok';
    const summary = module.summarize?.(result as never);
    if (summary) (kind === 'ok' ? ctx.log.info : kind === 'attention' || kind === 'temporary' ? ctx.log.warn : ctx.log.error)(summary);
    if (kind !== 'ok') ctx.releaseHeld();
    return EXIT[kind];
  } finally {
    // An in-process caller (a test, anything embedding run()) is not left holding a database pool.
    await ctx.close();
  }
}

interface Reporting {
  io: IO;
  json: boolean;
  debug: boolean;
  /** stderr is a colour terminal: the `[error]` prefix is coloured. */
  color: boolean;
  scrubber: SecretScrubber;
}

/** Prints an error (one JSON document under --json) and returns its exit code. */
function report(error: unknown, { io, json, debug, color, scrubber }: Reporting): number {
  const known =
    error instanceof CliError
      ? error
      : new CliError('failure', `Unexpected error: ${(error as Error)?.message ?? String(error)}`, {
          code: 'internal-error',
          hint: debug
            ? 'This is a bug in protime-hooks; please report it with the trace above.'
            : 'This is a bug in protime-hooks; run again with --debug for details.',
          cause: error,
        });
  if (debug && !(error instanceof CliError && error.kind === 'usage')) {
    io.stderr.write(scrubber.scrub(logLine('debug', String((error as Error)?.stack ?? error), color)));
  }
  if (json) {
    const doc = errorDocument(known);
    io.stdout.write(`${scrubber.scrub(JSON.stringify(doc, null, 2))}\n`);
  } else {
    // The same `[error]` line the logger writes; reasons and the hint follow, indented.
    const lines = [known.message, ...known.reasons.map((r) => `  - ${r}`), ...(known.hint ? [`  ${known.hint}`] : [])];
    io.stderr.write(scrubber.scrub(logLine('error', lines.join('\n'), color)));
  }
  return known.exitCode;
}
