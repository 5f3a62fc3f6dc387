import type { Command } from 'commander';
import type { Act } from './commands.js';
import { collect, duration } from './options.js';

/** subscribe, renew, unsubscribe, status, keys, collections: the webhooks a profile keeps alive. */
export function subscriptionCommands(program: Command, act: Act): void {
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
      act('subscribe', (o, args) => ({
        collection: args[0],
        url: o.url,
        externalRefs: o.externalRef,
        force: Boolean(o.force),
        dryRun: Boolean(o.dryRun),
        waitSeconds: o.wait,
      })),
    );

  program
    .command('renew')
    .description('replace due subscriptions before they expire (for cron: silent and exit 0 when nothing is due)')
    .argument('[id...]', 'renew these, due or not (default: every due subscription)')
    .option('--keep-old', 'leave the old webhook to expire instead of deleting it')
    .option('--recreate', 'also replace expired, disabled and missing ones (after re-syncing the collection)')
    .option(
      '--renew-within <duration>',
      'due when less than this is left (default: min(7d, a third of the lifetime))',
      duration('--renew-within'),
    )
    .option('--dry-run', 'show the plan; change nothing')
    .option('--wait <duration>', 'wait this long for another run holding the profile (default: exit 75 at once)', duration('--wait'))
    .action(
      act('renew', (o, args) => ({
        ids: args,
        keepOld: Boolean(o.keepOld),
        recreate: Boolean(o.recreate),
        dryRun: Boolean(o.dryRun),
        renewWithinSeconds: o.renewWithin,
        waitSeconds: o.wait,
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
    .option(
      '--renew-within <duration>',
      'due when less than this is left (default: min(7d, a third of the lifetime))',
      duration('--renew-within'),
    )
    .option('--offline', 'local records only; no network')
    .action(act('status', (o) => ({ collection: o.collection, renewWithinSeconds: o.renewWithin, offline: Boolean(o.offline) })));

  program
    .command('keys')
    .description('print the webhook keys a receiver should accept now (current ones, and replaced ones until they expire)')
    .option('--collection <name>', 'only this collection')
    .action(act('keys', (o) => ({ collection: o.collection })));

  program
    .command('collections')
    .description('list the 18 collections that support webhooks')
    .action(act('collections', () => ({})));
}
