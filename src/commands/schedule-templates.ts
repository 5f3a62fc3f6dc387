// The crontab and the systemd units that run `renew` unattended. `schedule --print` fills them with
// this machine's paths; the README shows them filled with example paths, and a test checks that the
// README's blocks are exactly this template's output, so the two cannot drift.

/** What differs from one machine (or one README example) to another. */
export interface ScheduleValues {
  /** PATH for the jobs; node's folder must be on it, since the binary's `#!` line runs `node`. */
  path: string;
  /** The binary, as the jobs run it (an absolute path: cron and systemd have no shell profile). */
  command: string;
  configDir: string;
  /** Omitted from the lines when `default`. */
  profile: string;
  /** The systemd service's `User=`. */
  user: string;
  /** Where cron and the alert unit mail; cron mails the crontab's owner when unset. */
  mailto?: string;
  /** Proxy variables to set in the jobs' environment, as name and value (or a commented example when empty). */
  proxy: Array<[string, string]>;
}

/** The units `systemd` prints, in the order they are shown, with the folder they belong in. */
export const UNIT_DIR = '/etc/systemd/system';
export const RENEW_SERVICE = 'protime-hooks-renew.service';
export const RENEW_TIMER = 'protime-hooks-renew.timer';
export const ALERT_SERVICE = 'protime-hooks-alert@.service';

const EXAMPLE_PROXY = 'http://proxy.example:3128';

/** A crontab for `crontab -`: PATH, the config dir, proxies, a renew line and a monitoring line. */
export function crontab(v: ScheduleValues): string {
  // In a crontab command a bare % ends the command (the rest becomes stdin).
  const bin = shellWord(v.command).replaceAll('%', '\\%');
  return [
    '# protime-hooks: renew Protime webhooks before they expire. Install with `crontab -` (as the user',
    '# that owns the state). cron mails what a job prints: stdout (the new keys) is discarded, stderr',
    '# (the result, skip reasons, deploy hook output, errors and their reasons) is kept for the mail.',
    v.mailto ? `MAILTO=${v.mailto}` : '# MAILTO=you@example.com  (unset: cron mails the owner of this crontab)',
    "# cron's own PATH is /usr/bin:/bin; the binary's #! line runs node, which must be on this PATH.",
    `PATH=${v.path}`,
    `PROTIME_HOOKS_CONFIG_DIR=${v.configDir}`,
    ...(v.profile === 'default' ? [] : [`PROTIME_PROFILE=${v.profile}`]),
    '# cron reads no shell profile: set proxy variables here (the CA file and token auth are saved on',
    '# the profile by `login`).',
    ...proxyLines(v, (name, value) => `${name}=${value}`),
    '# Every 6 hours: renew what is due, hand the keys over, mail the result and any error.',
    `0 */6 * * *  ${bin} renew --wait 10m > /dev/null || echo "protime-hooks renew exited $?"`,
    '# Every hour: check; mails the table and the reason only when something needs a person.',
    `30 * * * *   out=$(${bin} status 2>&1) || { rc=$?; echo "$out"; echo "protime-hooks status exited $rc"; }`,
    '',
  ].join('\n');
}

/** The renew service and timer, and the alert unit that the service's `OnFailure=` starts. */
export function systemdUnits(v: ScheduleValues): Array<{ name: string; content: string }> {
  const service = [
    '[Unit]',
    'Description=Renew Protime webhooks before they expire',
    'OnFailure=protime-hooks-alert@%n.service',
    '',
    '[Service]',
    'Type=oneshot',
    `User=${v.user}`,
    unitEnvironment('PATH', v.path),
    unitEnvironment('PROTIME_HOOKS_CONFIG_DIR', v.configDir),
    ...(v.profile === 'default' ? [] : [unitEnvironment('PROTIME_PROFILE', v.profile)]),
    '# Proxies: set them here (the CA file and token auth are saved on the profile by `login`).',
    ...proxyLines(v, unitEnvironment),
    `ExecStart=${unitWord(v.command)} renew --wait 10m`,
    '# The keys on stdout stay out of the journal; the result, hook output and errors go to it.',
    'StandardOutput=null',
  ];
  const timer = [
    '[Unit]',
    'Description=Renew Protime webhooks every 6 hours',
    '',
    '[Timer]',
    'OnCalendar=*-*-* 00/6:00:00',
    'RandomizedDelaySec=15m',
    'Persistent=true',
    '',
    '[Install]',
    'WantedBy=timers.target',
  ];
  const alert = [
    '[Unit]',
    'Description=Mail why %i failed',
    '',
    '[Service]',
    'Type=oneshot',
    // %i is the failed unit (OnFailure passes %n); `mail` is Debian's bsd-mailx or mailutils.
    `ExecStart=/bin/sh -c 'journalctl --unit=%i --lines=100 --no-pager | mail -s "%i failed on %H" ${unitPercent(v.mailto ?? 'root')}'`,
  ];
  return [
    { name: RENEW_SERVICE, content: `${service.join('\n')}\n` },
    { name: RENEW_TIMER, content: `${timer.join('\n')}\n` },
    { name: ALERT_SERVICE, content: `${alert.join('\n')}\n` },
  ];
}

/** The units as one text: each preceded by a `# /etc/systemd/system/<name>` line, a blank line between. */
export function unitsText(units: Array<{ name: string; content: string }>): string {
  return units.map((unit) => `# ${UNIT_DIR}/${unit.name}\n${unit.content}`).join('\n');
}

function proxyLines(v: ScheduleValues, line: (name: string, value: string) => string): string[] {
  if (v.proxy.length === 0) return [`# ${line('HTTPS_PROXY', EXAMPLE_PROXY)}`];
  return v.proxy.map(([name, value]) => line(name, value));
}

/** A word for /bin/sh: as is when it is plainly safe, else single-quoted. */
function shellWord(text: string): string {
  return /^[A-Za-z0-9_./:@+-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/** systemd expands %specifiers in most settings: a literal % is %%. */
function unitPercent(text: string): string {
  return text.replaceAll('%', '%%');
}

/** An ExecStart word: quoted when it holds a space or a quote (systemd.service "Command lines"). */
function unitWord(text: string): string {
  const escaped = unitPercent(text).replaceAll('$', '$$');
  return /[\s"'\\]/.test(escaped) ? `"${escaped.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"` : escaped;
}

function unitEnvironment(name: string, value: string): string {
  const assignment = `${name}=${unitPercent(value)}`;
  return /[\s"'\\]/.test(assignment)
    ? `Environment="${assignment.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`
    : `Environment=${assignment}`;
}
