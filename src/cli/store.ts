import type { Command } from 'commander';
import type { Act } from './commands.js';

/** store migrate, export, import: the state itself, and moving it between stores. */
export function storeCommands(program: Command, act: Act): void {
  const store = program.command('store').description('create or upgrade the state store, export it, import an export into it');
  store
    .command('migrate')
    .description('create the store when absent, upgrade it to this version, seal secrets with PROTIME_HOOKS_STORE_KEY when set')
    .action(act('store-migrate', () => ({})));
  store
    .command('export')
    .description('print the whole state as one JSON document (client secrets, tokens and webhook keys null unless asked)')
    .option('--include-secrets', 'put client secrets, tokens and webhook keys in the document, in clear')
    .action(act('store-export', (o) => ({ includeSecrets: Boolean(o.includeSecrets) })));
  store
    .command('import')
    .description('load a `store export` document into this store; records it holds otherwise are skipped, never overwritten')
    .option('--from <file>', 'read the document from this file (default: stdin)')
    .action(act('store-import', (o) => ({ from: o.from })));
}
