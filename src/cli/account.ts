import { type Command, Option } from 'commander';
import type { Env } from '../context.js';
import { usageError } from '../shared/errors.js';
import { ENVIRONMENTS } from '../shared/hosts.js';
import { checkUserAgent } from '../shared/user-agent.js';
import type { Act } from './commands.js';
import { octal } from './options.js';

/** login, logout, profiles: the credentials a profile holds. */
export function accountCommands(program: Command, act: Act, env: Env): void {
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
    .option(
      '--keys-file <path>',
      'keep the keys receivers must accept in this file, rewritten at every change (env PROTIME_HOOKS_KEYS_FILE)',
    )
    .option('--no-keys-file', 'stop keeping a keys file for this profile')
    .option(
      '--keys-file-mode <octal>',
      "the keys file's mode, e.g. 0640 for a receiver in the group (default 0600)",
      octal('--keys-file-mode'),
    )
    .option('--ca-file <path>', "also trust the PEM certificates in this file for this profile's requests (env PROTIME_HOOKS_CA_FILE)")
    .option('--no-ca-file', 'stop trusting a CA file saved on this profile')
    .addOption(
      // Not imported from protime/: this file loads at start-up, and that module pulls in zod.
      new Option('--token-auth <method>', 'how the token endpoint gets the client id and secret: form body or Basic header').choices([
        'post',
        'basic',
      ]),
    )
    .action(
      act('login', (o) => {
        if (o.clientSecret !== undefined) {
          throw usageError(
            'secret-in-argv',
            'Refusing --client-secret: a secret on the command line is visible to every user of this machine and stays in shell history.',
            'Use --client-secret-stdin, --client-secret-file <path>, PROTIME_CLIENT_SECRET_FILE, PROTIME_CLIENT_SECRET, or the prompt.',
          );
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
          userAgent: userAgentOf(o.userAgent, env.PROTIME_USER_AGENT),
          scopes: o.scope ?? [],
          keysFile: o.keysFile,
          keysFileMode: o.keysFileMode,
          caFile: o.caFile,
          tokenAuth: o.tokenAuth,
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
    .command('profiles')
    .description('list stored profiles')
    .action(act('profiles', () => ({})));

  program
    .command('doctor')
    .description('check the config dir, the state, the login, the network path to Protime, the clock, hooks and the keys file')
    .action(act('doctor', () => ({})));
}

function userAgentOf(flag: string | undefined, variable: string | undefined): string | undefined {
  if (flag !== undefined) return checkUserAgent(flag, '--user-agent');
  return variable ? checkUserAgent(variable, 'PROTIME_USER_AGENT') : undefined;
}
