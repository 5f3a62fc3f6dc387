import { usageError } from '../shared/errors.js';
import type { View } from '../shared/output.js';
import { bashScript, type CommandSpec, fishScript, zshScript } from './completion-scripts.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

export interface CompletionOptions {
  shell: string;
  /** The command tree as cli/ declares it: the script is generated from it, so it cannot drift. */
  tree: CommandSpec;
}

export interface CompletionResult {
  shell: Shell;
  script: string;
}

const GENERATORS: Record<Shell, (tree: CommandSpec) => string> = { bash: bashScript, zsh: zshScript, fish: fishScript };

export async function run(options: CompletionOptions): Promise<CompletionResult> {
  const shell = SHELLS.find((s) => s === options.shell);
  if (!shell) throw usageError('bad-shell', `completion takes bash, zsh or fish, not "${options.shell}".`);
  return { shell, script: GENERATORS[shell](options.tree) };
}

export function render(result: CompletionResult, _view: View): string {
  return result.script;
}
