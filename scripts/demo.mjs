// The no-tenant tour: emulator → login → listen → subscribe → status → a contract change arriving
// verified. Narration goes to stderr, command output to stdout. Leaves no process or file behind.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/protime-hooks.js', import.meta.url));
const configDir = mkdtempSync(join(tmpdir(), 'protime-hooks-demo-'));
const env = { ...process.env, PROTIME_HOOKS_CONFIG_DIR: configDir, PROTIME_PROFILE: 'demo' };
const children = [];
// no-color.org: only a non-empty NO_COLOR turns colour off.
const bold = (text) => (process.stderr.isTTY && !process.env.NO_COLOR ? `\x1b[1m${text}\x1b[0m` : text);

function say(step, text) {
  process.stderr.write(`\n${bold(`[${step}] ${text}`)}\n`);
}

/**
 * Runs the CLI to completion, its stdout and stderr straight on ours, so its lines appear in the
 * order it wrote them; fails the demo on an unexpected exit code.
 */
function cli(args, { input, expect = [0] } = {}) {
  process.stderr.write(`$ protime-hooks ${args.join(' ')}${input ? ' <<< ****' : ''}\n`);
  const result = spawnSync(process.execPath, [BIN, ...args], { env, input, stdio: ['pipe', 'inherit', 'inherit'] });
  if (!expect.includes(result.status)) throw new Error(`protime-hooks ${args[0]} exited ${result.status}`);
}

/** Starts a long-running CLI command in the background. */
function background(args) {
  process.stderr.write(`$ protime-hooks ${args.join(' ')} &\n`);
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return child;
}

function firstLine(stream) {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: stream });
    lines.once('line', resolve);
    stream.once('end', () => reject(new Error('the process ended before printing anything')));
  });
}

/** The lines of a stream: the next one awaited, or all so far once it has ended. */
function lines(stream) {
  const seen = [];
  const waiting = [];
  const reader = createInterface({ input: stream });
  reader.on('line', (line) => (waiting.length > 0 ? waiting.shift()(line) : seen.push(line)));
  stream.once('end', () => {
    for (const resolve of waiting.splice(0)) resolve('(the receiver ended before saying anything)');
  });
  return {
    next: () => (seen.length > 0 ? Promise.resolve(seen.shift()) : new Promise((resolve) => waiting.push(resolve))),
    rest: () => seen.splice(0),
  };
}

function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function main() {
  say(1, 'Start a local Protime emulator (token endpoint, webhooks API, signed deliveries). No tenant, no network.');
  const emulator = background(['emulator', '--port', '0', '--json', '--quiet']);
  const info = JSON.parse(await firstLine(emulator.stdout));
  process.stderr.write(`emulator: ${info.url}\n`);

  say(2, 'Log in: the client secret comes from stdin, never from argv.');
  cli(
    [
      'login',
      '--tenant',
      info.tenant,
      '--client-id',
      info.clientId,
      '--api-url',
      info.apiUrl,
      '--token-url',
      info.tokenUrl,
      '--client-secret-stdin',
    ],
    { input: `${info.clientSecret}\n` },
  );

  // The receiver's URL is known before it runs, so the subscription comes first: the receiver then
  // starts with its key (no "no keys held" warning), and nothing is delivered before step 6.
  const port = await freePort();
  say(3, 'Subscribe to contract changes. The key is stored (0600) before it is printed; Protime shows it only once.');
  cli(['subscribe', 'contracts', '--url', `http://127.0.0.1:${port}/`]);

  say(4, 'Start a receiver that verifies signatures with the keys protime-hooks holds.');
  const listener = background(['listen', '--port', String(port), '--count', '1']);
  // Its stderr is shown at fixed points, not as it comes: this script blocks while other commands
  // run, so live forwarding would print the receiver's lines late, among theirs.
  const receiverSays = lines(listener.stderr);
  process.stderr.write(`${await receiverSays.next()}\n`);

  say(5, 'Status: every subscription, when it expires and when renewal is due. Exit 0 = healthy, 3 = renewal due, 5 = broken.');
  cli(['status']);

  say(6, 'Make a contract change happen on the emulator.');
  const delivery = firstLine(listener.stdout);
  cli(['emulator', 'trigger', 'contracts', '--emulator-url', info.url]);

  say(7, 'The receiver got it, signature verified:');
  const line = await delivery;
  process.stdout.write(`${line}\n`);
  const event = JSON.parse(line);
  if (!event.verified) throw new Error('the delivery did not verify');
  // Its last words (how many deliveries verified) come once it has stopped.
  await new Promise((resolve) => (listener.exitCode === null ? listener.once('close', resolve) : resolve()));
  for (const said of receiverSays.rest()) process.stderr.write(`${said}\n`);

  say('next', 'Against your tenant:');
  process.stderr.write(
    [
      '  protime-hooks login --tenant <tenant> --client-id <id> --client-secret-stdin < secret.txt',
      '  protime-hooks subscribe contracts --url https://your-host.example/protime',
      '  protime-hooks status            # cron/monitoring: exit 3 = renew due, 5 = expired',
      '',
    ].join('\n'),
  );
}

let failed = false;
try {
  await main();
} catch (error) {
  failed = true;
  process.stderr.write(`\nDemo failed: ${error.message}\n`);
} finally {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  await Promise.all(children.map((child) => (child.exitCode === null ? new Promise((r) => child.once('close', r)) : undefined)));
  rmSync(configDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
