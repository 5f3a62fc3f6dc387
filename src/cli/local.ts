import { type Command, Option } from 'commander';
import type { Env } from '../context.js';
import { usageError } from '../shared/errors.js';
import { ALGORITHMS, DEFAULT_SIGNATURE, ENCODINGS } from '../shared/signature.js';
import type { Act } from './commands.js';
import { duration, integer, interval } from './options.js';

/** emulator, emulator trigger, listen: a local Protime and a local receiver, for trying things out. */
export function localCommands(program: Command, act: Act, env: Env): void {
  const emulator = program
    .command('emulator')
    .description('run a local stand-in for Protime (token endpoint, webhooks API, signed deliveries) until Ctrl-C')
    .option('--port <port>', 'port on 127.0.0.1 (0 = a free port)', integer('--port', 0, 65_535), 4010)
    .option('--tenant <name>', 'tenant name', 'demo')
    .option('--client-id <id>', 'client id it accepts', 'demo')
    .option('--client-secret <secret>', 'client secret it accepts (a test value, not a real secret)', 'demo-secret')
    // Help shows the default as the option takes it (30d), not as the seconds it parses to.
    .addOption(
      new Option('--validity <duration>', 'lifetime of a new webhook').argParser(duration('--validity')).default(30 * 86_400, '30d'),
    )
    .option('--token-ttl <seconds>', 'access token lifetime', integer('--token-ttl', 1), 1800)
    .option('--page-size <n>', 'webhooks per list page', integer('--page-size', 1), 50)
    .option('--max-failures <n>', 'failed deliveries before a webhook is disabled', integer('--max-failures', 1), 5)
    .option('--state-file <path>', 'keep webhooks across restarts in this file (in memory otherwise)')
    .action(
      act('emulator', (o) => ({
        port: o.port,
        tenant: o.tenant,
        clientId: o.clientId,
        clientSecret: o.clientSecret,
        validitySeconds: o.validity,
        tokenTtlSeconds: o.tokenTtl,
        pageSize: o.pageSize,
        maxFailures: o.maxFailures,
        stateFile: o.stateFile,
      })),
    );
  emulator
    .command('trigger')
    .description('make a running emulator emit change events to its webhooks')
    .argument('<collection>', 'collection of the events')
    .option('--count <n>', 'how many events', integer('--count', 1), 1)
    .addOption(new Option('--change-type <type>', 'kind of change').choices(['InsertOrUpdate', 'Delete']).default('InsertOrUpdate'))
    .option('--emulator-url <url>', 'the emulator (env PROTIME_EMULATOR_URL)')
    .option('--every <interval>', 'emit again every interval (e.g. 100ms, 2s) until --for ends or Ctrl-C', interval('--every'))
    .option('--for <duration>', 'with --every: stop after this long (e.g. 30s, 5m)', duration('--for'))
    .action(
      act('trigger', (o, args) => ({
        collection: args[0],
        count: o.count,
        changeType: o.changeType,
        emulatorUrl: o.emulatorUrl ?? env.PROTIME_EMULATOR_URL ?? 'http://127.0.0.1:4010',
        everyMs: o.every,
        forSeconds: o.for,
      })),
    );

  program
    .command('listen')
    .description('receive deliveries locally, verify their signatures with the keys held, print one NDJSON line each')
    .option('--port <port>', 'port to listen on (0 = a free port)', integer('--port', 0, 65_535), 8787)
    .option('--host <address>', 'address to bind', '127.0.0.1')
    .option('--path <path>', 'path deliveries are posted to', '/')
    .option('--signature-header <name>', 'header carrying the signature', DEFAULT_SIGNATURE.header)
    .addOption(new Option('--algorithm <name>', 'HMAC hash').choices(ALGORITHMS).default(DEFAULT_SIGNATURE.algorithm))
    .addOption(new Option('--encoding <name>', 'signature encoding').choices(ENCODINGS).default(DEFAULT_SIGNATURE.encoding))
    .option('--count <n>', 'stop after this many deliveries', integer('--count', 1))
    .option('--forward-to <url>', 'forward verified deliveries to this URL and answer with its status (401 for the others)')
    .addOption(
      new Option('--forward-timeout <duration>', 'answer 504 when the app takes longer')
        .argParser(duration('--forward-timeout'))
        .default(10, '10s'),
    )
    .action(
      act('listen', (o) => ({
        port: o.port,
        host: o.host,
        path: o.path.startsWith('/') ? o.path : `/${o.path}`,
        signatureHeader: o.signatureHeader,
        algorithm: o.algorithm,
        encoding: o.encoding,
        count: o.count,
        forwardTo: o.forwardTo === undefined ? undefined : forwardUrl(o.forwardTo),
        forwardTimeoutSeconds: o.forwardTimeout,
      })),
    );
}

/** The app behind listen: any http(s) URL (an app on the local network is often plain http). */
function forwardUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.href;
  } catch {
    // reported below
  }
  throw usageError('bad-url', `--forward-to takes an http or https URL such as http://127.0.0.1:3000/hooks, not "${text}".`);
}
