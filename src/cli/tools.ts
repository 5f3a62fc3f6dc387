import { realpathSync } from 'node:fs';
import { userInfo } from 'node:os';
import { Argument, type Command, Option } from 'commander';
import type { ArgumentSpec, CommandSpec, OptionSpec, ValueKind } from '../commands/completion-scripts.js';
import type { Act } from './commands.js';

/** schedule, completion: setting the tool up on a machine. */
export function toolCommands(program: Command, act: Act): void {
  program
    .command('schedule')
    .description("print the crontab or the systemd units that run renew unattended, with this machine's paths")
    .addOption(
      new Option('--print <format>', 'what to print: a crontab or the systemd units').choices(['cron', 'systemd']).makeOptionMandatory(),
    )
    .option('--mailto <address>', "where cron and the alert unit mail (default: the crontab's owner, root)")
    .option('--user <name>', "the systemd service's User= (default: the user running this)")
    .option('--output-dir <path>', 'systemd: write the unit files into this folder instead of printing them')
    .action(
      act('schedule', (o) => ({
        format: o.print,
        node: process.execPath,
        // The file this process runs (bin/protime-hooks.js), not a symlink to it that may move.
        binary: realpathSync(process.argv[1] ?? ''),
        user: o.user ?? userInfo().username,
        mailto: o.mailto,
        outputDir: o.outputDir,
      })),
    );

  program
    .command('completion')
    .description('print a shell completion script (commands, flags, profiles, collections)')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish']))
    .action(act('completion', (_o, args) => ({ shell: args[0], tree: describe(program) })));
}

/** The commander tree as data for the completion scripts: every visible command, flag and argument. */
export function describe(command: Command): CommandSpec {
  const options: OptionSpec[] = command.options
    .filter((o) => !o.hidden)
    .map((o) => ({
      long: o.long,
      short: o.short,
      description: o.description,
      value: o.required || o.optional ? completes(o.long ?? '', o.flags, o.argChoices) : undefined,
    }));
  options.push({ long: '--help', short: '-h', description: 'show help' });
  return {
    name: command.name(),
    description: command.description(),
    options,
    arguments: command.registeredArguments.map(
      (a): ArgumentSpec => ({ name: a.name(), variadic: a.variadic, value: completes(a.name(), '', a.argChoices) }),
    ),
    commands: command.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden).map(describe),
  };
}

/** What completes a flag's or argument's value, read from its name and its `<placeholder>`. */
function completes(name: string, flags: string, choices: string[] | undefined): ValueKind {
  if (choices) return { choices };
  if (name === '--profile') return 'profiles';
  if (name === '--collection' || name === 'collection') return 'collections';
  // --path is listen's URL path, not a file.
  if (name !== '--path' && /<(path|file|dir)>/.test(flags)) return 'files';
  return 'text';
}
