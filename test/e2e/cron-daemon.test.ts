/**
 * The README's crontab, run by Debian's real cron daemon against emulator processes: the PATH the
 * crontab sets finds node and the binary, a due subscription is renewed, and a failure is mailed
 * with its reason. A second crontab, the one `schedule --print cron` prints with this machine's
 * paths, runs in the same daemon for a profile whose credentials were revoked.
 *
 * The daemon runs in a private mount namespace (unshare), so nothing of this machine's cron is
 * touched and a cron already running here does not matter: a private crontab spool, empty
 * /etc/cron.d and /etc/crontab, a private /run (cron's pid file), /usr/local/bin with the binary
 * linked in as `npm install -g` would put it, and /usr/sbin/sendmail replaced by a script that
 * saves each mail cron sends to a file (a stand-in for the MTA: the mail itself is cron's own).
 * cron starts jobs on minute boundaries, so the test waits up to a minute (it runs beside the others).
 * Where no namespace or cron is available, the same lines run under `env -i PATH=/usr/bin:/bin`.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { README_VALUES, readmeCrontab } from '../helpers/readme.js';
import { CliUser, EmulatorProcess, expectExit, makeTempDir, removeTempDirs, stopAll } from './emulator-process.js';
import { readStateFile, recordsOf, sleep } from './robustness-helpers.js';
import { BIN } from './run-binary.js';

const DAY = 86_400_000;
let daemon: ChildProcess | undefined;

afterEach(async () => {
  if (daemon && daemon.exitCode === null && daemon.signalCode === null) {
    const gone = new Promise((resolve) => daemon!.once('close', resolve));
    process.kill(-daemon.pid!, 'SIGTERM');
    await gone;
  }
  daemon = undefined;
  await stopAll();
  removeTempDirs();
});

async function subscribedUser(): Promise<{ emulator: EmulatorProcess; user: CliUser; id: string }> {
  const emulator = await EmulatorProcess.start();
  const user = new CliUser(emulator);
  expectExit(await user.login(), 0, 'login');
  const created = expectExit(
    await user.run(['subscribe', 'contracts', '--url', 'http://127.0.0.1:9/cron', '--json']),
    0,
    'subscribe',
  ).json();
  return { emulator, user, id: created.id };
}

/** Due under the default window: created 60 days ago (state.json), 2 days left (the server). */
async function makeDue(user: CliUser, id: string): Promise<void> {
  const state = readStateFile(user);
  state.subscriptions.default[id].createdAt = new Date(Date.now() - 60 * DAY).toISOString();
  writeFileSync(user.stateFile, `${JSON.stringify(state, null, '\t')}\n`);
  chmodSync(user.stateFile, 0o600);
  await user.emulator.setValidUntil(id, new Date(Date.now() + 2 * DAY));
}

/** Every job due every minute: cron fires at the next minute boundary instead of in six hours. */
const everyMinute = (text: string) => text.replace(/^(0 \*\/6|30 \*) \* \* \*/gm, '* * * * *');

/** Why this machine cannot run a private cron daemon, or undefined when it can. */
function cannotRunCron(): string | undefined {
  if (!existsSync('/usr/sbin/cron')) return 'cron is not installed (apt-get install cron)';
  if (!existsSync('/var/spool/cron/crontabs') || !existsSync('/usr/local/bin'))
    return 'no /var/spool/cron/crontabs or /usr/local/bin to mount over';
  const dir = makeTempDir('ph-cron-probe-');
  mkdirSync(join(dir, 'up'));
  mkdirSync(join(dir, 'work'));
  const probe = spawnSync(
    'unshare',
    [
      '--mount',
      '--propagation',
      'private',
      'mount',
      '-t',
      'overlay',
      'overlay',
      '-o',
      `lowerdir=/usr/sbin,upperdir=${dir}/up,workdir=${dir}/work`,
      '/usr/sbin',
    ],
    { encoding: 'utf8' },
  );
  if (probe.error || probe.status !== 0)
    return `no private mount namespace with overlayfs here (${probe.error?.message ?? probe.stderr.trim()})`;
  return undefined;
}

interface Mail {
  to: string;
  /** The body: what the job printed (cron's headers, with the command in Subject, stripped). */
  text: string;
}

/** Starts cron -f in a private namespace with `table` as root's crontab; mails land in the returned folder. */
async function startPrivateCron(table: string): Promise<{ mails: () => Mail[]; installed: string }> {
  const root = makeTempDir('ph-cron-');
  const dirs = ['spool', 'cron.d', 'run', 'mail', 'sbin-up', 'sbin-work', 'lbin-up', 'lbin-work'];
  for (const d of dirs) mkdirSync(join(root, d));
  chmodSync(join(root, 'spool'), 0o1730);
  writeFileSync(join(root, 'crontab-system'), '');
  writeFileSync(join(root, 'table'), table);
  // The MTA stand-in: cron runs `sendmail -FCronDaemon -i -B8BITMIME -oem <to>` with the mail on stdin.
  writeFileSync(
    join(root, 'sbin-up', 'sendmail'),
    `#!/bin/sh\nf=$(mktemp ${root}/mail/m.XXXXXX)\n{ printf 'X-Sendmail-Args: %s\\n' "$*"; cat; } > "$f" && mv "$f" "$f.eml"\n`,
    { mode: 0o755 },
  );
  // Where `npm install -g` links the binary for a node in /usr/local (and node itself when it lives elsewhere).
  symlinkSync(realpathSync(BIN), join(root, 'lbin-up', 'protime-hooks'));
  if (!README_VALUES.path.split(':').includes(dirname(process.execPath))) symlinkSync(process.execPath, join(root, 'lbin-up', 'node'));
  const script = [
    'set -e',
    `mount --bind ${root}/spool /var/spool/cron/crontabs`,
    `mount --bind ${root}/cron.d /etc/cron.d`,
    `mount --bind ${root}/crontab-system /etc/crontab`,
    `mount --bind ${root}/run /run`,
    `mount -t overlay overlay -o lowerdir=/usr/sbin,upperdir=${root}/sbin-up,workdir=${root}/sbin-work /usr/sbin`,
    `mount -t overlay overlay -o lowerdir=/usr/local/bin,upperdir=${root}/lbin-up,workdir=${root}/lbin-work /usr/local/bin`,
    // The real crontab(1) installs it, as a person would.
    `crontab ${root}/table`,
    `crontab -l > ${root}/installed`,
    'echo ready',
    'exec cron -f -L 15',
  ].join('\n');
  daemon = spawn('unshare', ['--mount', '--propagation', 'private', '/bin/sh', '-c', script], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  daemon.stdout!.on('data', (d) => (output += d));
  daemon.stderr!.on('data', (d) => (output += d));
  for (let i = 0; !output.includes('ready'); i++) {
    if (daemon.exitCode !== null || i > 200) throw new Error(`private cron did not start: ${output}`);
    await sleep(50);
  }
  const mails = () =>
    readdirSync(join(root, 'mail'))
      .filter((f) => f.endsWith('.eml'))
      .map((f) => readFileSync(join(root, 'mail', f), 'utf8'))
      .map((mail) => ({ to: /^X-Sendmail-Args: .* (\S+)$/m.exec(mail)?.[1] ?? '', text: mail.slice(mail.indexOf('\n\n') + 2) }));
  return { mails, installed: readFileSync(join(root, 'installed'), 'utf8') };
}

// PROTIME_HOOKS_TEST_CRON_FALLBACK=1 exercises the fallback on a machine that has cron.
const skip = process.env.PROTIME_HOOKS_TEST_CRON_FALLBACK ? 'PROTIME_HOOKS_TEST_CRON_FALLBACK is set' : cannotRunCron();
if (skip)
  console.log(
    `cron-daemon.test.ts: the real cron daemon cannot run here: ${skip}; running the lines under env -i PATH=/usr/bin:/bin instead`,
  );

describe('the README crontab under the real cron daemon', { timeout: 120_000 }, () => {
  it('renews a due subscription (result mailed, keys not), and mails a failure with its reason', async () => {
    const due = await subscribedUser();
    await makeDue(due.user, due.id);
    const revoked = await subscribedUser();
    expect((await revoked.emulator.control('POST', '/client-secret', { clientSecret: 'rotated' })).status).toBe(204);
    expect((await revoked.emulator.control('POST', '/tokens/revoke')).status).toBe(200);

    // The README's lines for the due profile (its renew line only: a status run beside it would race it).
    const readme = everyMinute(readmeCrontab())
      .replace(`MAILTO=${README_VALUES.mailto}`, 'MAILTO=due@cron.test')
      .replaceAll(README_VALUES.configDir, due.user.configDir)
      .replace(/^\* \* \* \* \* +out=.*\n/m, '');
    // What `schedule --print cron` prints here, for the revoked profile: both lines.
    const printed = expectExit(await revoked.user.run(['schedule', '--print', 'cron', '--mailto', 'revoked@cron.test']), 0, 'schedule');
    expect(printed.stdout).toContain(`PROTIME_HOOKS_CONFIG_DIR=${revoked.user.configDir}\n`);
    const table = `${readme}${everyMinute(printed.stdout)}`;
    expect(table.match(/^\* \* \* \* \* /gm)).toHaveLength(3);

    let mails: Mail[];
    if (skip) {
      mails = runUnderEnvI(table);
    } else {
      const cron = await startPrivateCron(table);
      expect(cron.installed).toBe(table);
      const wanted = (m: Mail[]) => m.some((x) => x.to === 'due@cron.test') && m.filter((x) => x.to === 'revoked@cron.test').length >= 2;
      // The jobs start at the next minute boundary: at most 60 s away.
      for (let i = 0; !wanted(cron.mails()) && i < 900; i++) await sleep(100);
      mails = cron.mails();
    }

    const dueMail = mails.filter((m) => m.to === 'due@cron.test');
    expect(dueMail, JSON.stringify(mails)).toHaveLength(1);
    expect(dueMail[0]!.text).toMatch(/\b1 renewed\.$/m);
    expect(dueMail[0]!.text).not.toMatch(/exited/);
    const enabled = (await due.emulator.webhooks()).filter((w) => w.status === 'Enabled');
    expect(enabled).toHaveLength(1);
    expect(enabled[0]!.id).not.toBe(due.id);
    // The new key is stored, and stdout (which carries it) was kept out of the mail.
    expect(recordsOf(readStateFile(due.user))[enabled[0]!.id]?.key).toBe(enabled[0]!.key);
    expect(dueMail[0]!.text).not.toContain(enabled[0]!.key);

    const failures = mails.filter((m) => m.to === 'revoked@cron.test').map((m) => m.text);
    const renewMail = failures.find((t) => /protime-hooks renew exited 4/.test(t));
    const statusMail = failures.find((t) => /protime-hooks status exited 4/.test(t));
    for (const text of [renewMail, statusMail]) {
      expect(text, failures.join('\n----\n')).toBeDefined();
      expect(text).toMatch(/^\[error\] .*(credential|secret|rejected)/im);
      expect(text).not.toContain('rotated');
      expect(text).not.toContain(revoked.emulator.info.clientSecret);
    }
  });
});

/**
 * Where cron cannot run: each job of `table` under `env -i PATH=/usr/bin:/bin` plus the crontab's
 * own variables, through /bin/sh as cron runs it; what it prints becomes the "mail".
 */
function runUnderEnvI(table: string): Mail[] {
  const env: string[] = [];
  const mails: Mail[] = [];
  for (const line of table.split('\n')) {
    const variable = /^([A-Z_]+)=(.*)$/.exec(line);
    if (variable) env.push(line);
    const job = /^\* \* \* \* \* +(.*)$/.exec(line);
    if (!job) continue;
    // Outside the namespace /usr/local/bin has no protime-hooks: the README's path is this checkout's binary.
    const command = job[1]!.replaceAll(README_VALUES.command, realpathSync(BIN));
    const result = spawnSync('/usr/bin/env', ['-i', 'PATH=/usr/bin:/bin', 'HOME=/nonexistent', ...env, '/bin/sh', '-c', command], {
      encoding: 'utf8',
      cwd: '/',
    });
    const to =
      env
        .filter((e) => e.startsWith('MAILTO='))
        .at(-1)
        ?.slice(7) ?? '';
    if (result.stdout + result.stderr) mails.push({ to, text: result.stdout + result.stderr });
  }
  return mails;
}
