import { Command } from 'commander';
import type { Env, IO } from '../context.js';
import { VERSION } from '../shared/version.js';
import { accountCommands } from './account.js';
import type { Act, Dispatch } from './commands.js';
import { localCommands } from './local.js';
import { resolveGlobals } from './options.js';
import { storeCommands } from './store.js';
import { subscriptionCommands } from './subscriptions.js';
import { toolCommands } from './tools.js';

/** The command tree. It knows argv; it does no work beyond turning flags into options. */
export function buildProgram(dispatch: Dispatch, io: IO, env: Env, onError: (message: string) => void = () => undefined): Command {
  const program = new Command('protime-hooks')
    .description('Create, watch and renew Protime API webhooks without ever losing a webhook key.')
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .option('--profile <name>', 'stored profile to use (env PROTIME_PROFILE, default "default")')
    .option('--config-dir <path>', 'where state lives (env PROTIME_HOOKS_CONFIG_DIR, default $XDG_CONFIG_HOME/protime-hooks)')
    .option('--store <url>', 'a postgres:// URL: state shared in PostgreSQL (env PROTIME_HOOKS_STORE, which keeps a password out of argv)')
    .option('--json', 'machine output: exactly one JSON document on stdout, errors included')
    .option('-q, --quiet', 'print only errors on stderr')
    .option('--debug', 'trace HTTP on stderr with secrets redacted (env PROTIME_HOOKS_DEBUG=1)')
    .option('--no-color', 'no ANSI colours (env NO_COLOR)')
    .option('--no-input', 'never prompt; missing input is a usage error')
    .option('--env-file <path>', 'load environment variables from this file (a .env in the current folder is read when present)')
    // Wrapped at the terminal's width (80 when not a terminal); inherited by every command added below.
    // Descriptions wrap even beside a long flag (commander's own minimum, 40, would leave them whole).
    .configureHelp({ helpWidth: io.columns ?? 80, minWidthToWrap: 24 })
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text) => onError(text.replace(/^error: /, '').trim()),
    });

  const act: Act = (name, toOptions) =>
    async function (this: Command) {
      const options = toOptions(this.opts(), this.args);
      await dispatch(name, options, resolveGlobals(this.optsWithGlobals(), env));
    };

  accountCommands(program, act, env);
  subscriptionCommands(program, act);
  localCommands(program, act, env);
  storeCommands(program, act);
  toolCommands(program, act);
  return program;
}
