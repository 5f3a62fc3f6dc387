import type { Command, OptionValues } from 'commander';
import type { Context, GlobalOptions } from '../context.js';
import type { CliError, ExitKind } from '../shared/errors.js';
import type { View } from '../shared/output.js';

/** One profile's part of an --all-profiles run: its result, or the error that stopped it. */
export type Outcome = { profile: string; result: unknown; error?: undefined } | { profile: string; error: CliError };

/** What every command module provides. Modules are loaded only when their command runs. */
export interface CommandModule {
  run(options: never, ctx: Context): Promise<unknown>;
  render(result: never, view: View): string;
  /** Severity of the result when success alone does not say enough (status: due or expired). */
  exitKind?(result: never): ExitKind;
  /** One line for people on stderr. */
  summarize?(result: never): string;
  /** The command wrote its own output as it ran (servers): the result is not printed again. */
  streaming?: boolean;
  /**
   * --all-profiles: makes one result of every profile's (metrics: one exposition), rendered and
   * printed in their place. Without it each profile's result is printed as its own.
   */
  combine?(outcomes: Outcome[], options: never, ctx: Context): Promise<unknown>;
}

// Each entry is an `await import()`, so starting the CLI loads no command's code (or its libraries).
export const COMMANDS = {
  login: () => import('../commands/login.js'),
  renew: () => import('../commands/renew.js'),
  unsubscribe: () => import('../commands/unsubscribe.js'),
  logout: () => import('../commands/logout.js'),
  subscribe: () => import('../commands/subscribe.js'),
  status: () => import('../commands/status.js'),
  collections: () => import('../commands/collections.js'),
  keys: () => import('../commands/keys.js'),
  metrics: () => import('../commands/metrics.js'),
  profiles: () => import('../commands/profiles.js'),
  doctor: () => import('../commands/doctor.js'),
  emulator: () => import('../commands/emulator.js'),
  trigger: () => import('../commands/trigger.js'),
  listen: () => import('../commands/listen.js'),
  schedule: () => import('../commands/schedule.js'),
  completion: () => import('../commands/completion.js'),
  'store-migrate': () => import('../commands/store-migrate.js'),
  'store-export': () => import('../commands/store-export.js'),
  'store-import': () => import('../commands/store-import.js'),
} satisfies Record<string, () => Promise<CommandModule>>;

export type CommandName = keyof typeof COMMANDS;

/** Called by each command's action with its typed options; tests pass a recorder. */
export type Dispatch = (name: CommandName, options: object, globals: GlobalOptions) => Promise<void>;

/** Turns a command's parsed flags and arguments into its options and hands them to dispatch. */
export type Act = (name: CommandName, toOptions: (opts: OptionValues, args: string[]) => object) => (this: Command) => Promise<void>;
