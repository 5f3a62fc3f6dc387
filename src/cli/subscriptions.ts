import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Act } from './commands.js';
import { collect, duration, integer } from './options.js';

/** Replacements in flight at once: enough to hide the round trips, few enough for one tenant's API. */
const DEFAULT_CONCURRENCY = 8;

const HOOK_TIMEOUT_SECONDS = 60;

/** --deploy-hook, --no-deploy-hook and --hook-timeout, shared by subscribe and renew. */
function hookOptions(command: Command, verb: string): Command {
  return command
    .option('--deploy-hook <command>', `run this (/bin/sh -c) with the new key on stdin after every create of the ${verb}`)
    .option('--no-deploy-hook', 'remove the deploy hook stored with the subscription')
    .option(
      '--hook-timeout <duration>',
      'a hook still running after this is killed and has failed (default 60s)',
      duration('--hook-timeout'),
    );
}

/** subscribe, renew, unsubscribe, status, keys, collections: the webhooks a profile keeps alive. */
export function subscriptionCommands(program: Command, act: Act): void {
  const subscribe = program
    .command('subscribe')
    .description('create a webhook for a collection and keep its key')
    .argument('<collection>', 'one of the 18 collections (see `collections`)')
    .option('--url <destinationUrl>', 'where Protime sends events: https (http only for localhost)')
    .option('--external-ref <collection,reference>', 'add an external reference, e.g. people,@employee-number (repeatable)', collect, [])
    .option('--force', 'create even if an enabled subscription to the same URL exists')
    .option('--dry-run', 'show the request that would be sent; send nothing')
    .option('--wait <duration>', 'wait this long for another run holding the profile (default: exit 75 at once)', duration('--wait'));
  hookOptions(subscribe, 'subscription and its renewals').action(
    act('subscribe', (o, args) => ({
      collection: args[0],
      url: o.url,
      externalRefs: o.externalRef,
      force: Boolean(o.force),
      dryRun: Boolean(o.dryRun),
      waitSeconds: o.wait,
      deployHook: o.deployHook,
      hookTimeoutSeconds: o.hookTimeout ?? HOOK_TIMEOUT_SECONDS,
    })),
  );

  const renew = program
    .command('renew')
    .option('--all-profiles', 'every stored profile, each with its own lock and token; one document, the worst exit code')
    .description('replace due subscriptions before they expire (for cron: silent and exit 0 when nothing is due)')
    .argument('[id...]', 'renew these, due or not (default: every due subscription)')
    .option('--keep-old', 'leave the old webhook to expire instead of deleting it')
    .option('--adopt', "with ids: take over a foreign webhook (another profile's or tool's): replace it with one whose key is held here")
    .option('--recreate', 'also replace expired, disabled and missing ones (after re-syncing the collection)')
    .option(
      '--renew-within <duration>',
      'due when less than this is left (default: min(7d, a third of the lifetime))',
      duration('--renew-within'),
    )
    .option('--dry-run', 'show the plan; change nothing')
    .option(
      '--concurrency <n>',
      `replacements in flight at once, across profiles too (default ${DEFAULT_CONCURRENCY})`,
      integer('--concurrency', 1, 64),
    )
    .option(
      '--random-delay <duration>',
      'first wait a random time up to this long (spreads a fleet of cron jobs)',
      duration('--random-delay'),
    )
    .option('--run-deploy-hooks', "with --dry-run: run each planned subscription's hooks with its current key (event dry-run)")
    .option('--wait <duration>', 'wait this long for another run holding the profile (default: exit 75 at once)', duration('--wait'));
  hookOptions(renew, 'subscriptions renewed').action(
    act('renew', (o, args) => ({
      allProfiles: Boolean(o.allProfiles),
      ids: args,
      keepOld: Boolean(o.keepOld),
      adopt: Boolean(o.adopt),
      recreate: Boolean(o.recreate),
      dryRun: Boolean(o.dryRun),
      renewWithinSeconds: o.renewWithin,
      waitSeconds: o.wait,
      deployHook: o.deployHook,
      hookTimeoutSeconds: o.hookTimeout ?? HOOK_TIMEOUT_SECONDS,
      runDeployHooks: Boolean(o.runDeployHooks),
      concurrency: o.concurrency ?? DEFAULT_CONCURRENCY,
      randomDelaySeconds: o.randomDelay,
    })),
  );

  program
    .command('unsubscribe')
    .description('delete a webhook on Protime; the local record is kept, its key removed')
    .argument('<id>', 'the webhook id (see status)')
    .option('-y, --yes', 'do not ask (required without a terminal)')
    .option('--force', "delete it even though it is not this profile's (foreign)")
    .option('--wait <duration>', 'wait this long for another run holding the profile', duration('--wait'))
    .action(act('unsubscribe', (o, args) => ({ id: args[0], yes: Boolean(o.yes), force: Boolean(o.force), waitSeconds: o.wait })));

  program
    .command('status')
    .option('--all-profiles', 'every stored profile, each with its own lock and token; one document, the worst exit code')
    .description('show every subscription and whether renewal is due (exit 0 ok, 3 due, 5 expired/disabled/missing)')
    .option('--collection <name>', 'only this collection')
    .option(
      '--renew-within <duration>',
      'due when less than this is left (default: min(7d, a third of the lifetime))',
      duration('--renew-within'),
    )
    .option('--offline', 'local records only; no network')
    .option('--all', "also list the tenant's webhooks of other profiles and tools (foreign; never in the exit code)")
    .action(
      act('status', (o) => ({
        allProfiles: Boolean(o.allProfiles),
        collection: o.collection,
        renewWithinSeconds: o.renewWithin,
        offline: Boolean(o.offline),
        all: Boolean(o.all),
      })),
    );

  program
    .command('metrics')
    .option('--all-profiles', 'every stored profile, each with its own lock and token; one document, the worst exit code')
    .description("Prometheus metrics of this profile's webhooks and renew runs (text format 0.0.4)")
    .option('--offline', 'local records only; no network')
    .option('--output <path>', "write them to this file atomically (for node_exporter's textfile collector) instead of printing them")
    .action(
      act('metrics', (o) => ({
        allProfiles: Boolean(o.allProfiles),
        offline: Boolean(o.offline),
        output: o.output === undefined ? undefined : resolve(o.output),
      })),
    );

  program
    .command('keys')
    .option('--all-profiles', 'every stored profile, each with its own lock and token; one document, the worst exit code')
    .description('print the webhook keys a receiver should accept now (current ones, and replaced ones until they expire)')
    .option('--collection <name>', 'only this collection')
    .option('--output <path>', 'write the document to this file (atomically, mode 0600) instead of printing it')
    .action(act('keys', (o) => ({ allProfiles: Boolean(o.allProfiles), collection: o.collection, output: o.output })));

  program
    .command('collections')
    .description('list the 18 collections that support webhooks')
    .action(act('collections', () => ({})));
}
