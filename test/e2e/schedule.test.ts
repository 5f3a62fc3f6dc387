/**
 * The README's crontab and systemd units are exactly what `schedule --print` prints (one template),
 * and the units, with this machine's real paths, pass `systemd-analyze verify` (Debian's systemd).
 * The real cron daemon running the crontab is in cron-daemon.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ALERT_SERVICE, crontab, RENEW_SERVICE, RENEW_TIMER, systemdUnits, unitsText } from '../../src/commands/schedule-templates.js';
import { README_VALUES, readmeCrontab, readmeUnits } from '../helpers/readme.js';
import { makeTempDir, removeTempDirs } from './emulator-process.js';
import { BIN, runBinary } from './run-binary.js';

afterEach(removeTempDirs);

describe('the README shows what schedule --print prints', () => {
  it('the crontab block is the template filled with the example values', () => {
    expect(readmeCrontab()).toBe(crontab(README_VALUES));
  });

  it('the ini block holds the renew service, its timer and the alert unit OnFailure= names, from the template', () => {
    const units = readmeUnits();
    expect(units.map((u) => u.name)).toEqual([RENEW_SERVICE, RENEW_TIMER, ALERT_SERVICE]);
    expect(units).toEqual(systemdUnits(README_VALUES));
    const onFailure = /^OnFailure=(\S+)@%n\.service$/m.exec(units[0]!.content);
    expect(`${onFailure?.[1]}@.service`).toBe(ALERT_SERVICE);
  });
});

describe('schedule --print, the built binary', () => {
  const real = realpathSync(BIN);
  const nodeDir = dirname(process.execPath);

  it('cron: this node on PATH, the binary by its real path, the config dir and profile of the command line', async () => {
    const configDir = join(makeTempDir(), 'state');
    const run = await runBinary([
      'schedule',
      '--print',
      'cron',
      '--config-dir',
      configDir,
      '--profile',
      'acme',
      '--mailto',
      'me@example.test',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    const lines = run.stdout.split('\n');
    expect(lines).toContain('MAILTO=me@example.test');
    expect(
      lines
        .find((l) => l.startsWith('PATH='))
        ?.slice(5)
        .split(':'),
    ).toContain(nodeDir);
    expect(lines).toContain(`PROTIME_HOOKS_CONFIG_DIR=${configDir}`);
    expect(lines).toContain('PROTIME_PROFILE=acme');
    expect(lines).toContain(`0 */6 * * *  ${real} renew --wait 10m > /dev/null || echo "protime-hooks renew exited $?"`);
  });

  it('proxy variables set here are copied into the jobs, a password replaced (and said so on stderr)', async () => {
    const run = await runBinary(['schedule', '--print', 'systemd', '--config-dir', '/srv/ph'], {
      env: { HTTPS_PROXY: 'http://alice:s3cret@proxy.test:3128', NO_PROXY: 'localhost,127.0.0.1' },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Environment=HTTPS_PROXY=http://alice:PASSWORD@proxy.test:3128\n');
    expect(run.stdout).toContain('Environment=NO_PROXY=localhost,127.0.0.1\n');
    expect(run.stdout + run.stderr).not.toContain('s3cret');
    expect(run.stderr).toMatch(/HTTPS_PROXY holds a password/);
  });

  it('--json: the files as data', async () => {
    const run = await runBinary(['schedule', '--print', 'systemd', '--config-dir', '/srv/ph', '--user', 'svc', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const doc = run.json();
    expect(doc.format).toBe('systemd');
    expect(doc.files.map((f: { name: string }) => f.name)).toEqual([RENEW_SERVICE, RENEW_TIMER, ALERT_SERVICE]);
    expect(doc.files[0].content).toContain('User=svc\n');
    expect(doc.written).toEqual([]);
  });
});

/** systemd-analyze verify on the unit files in `dir`, or the reason it cannot run here. */
function verify(dir: string, names: string[]): { code: number | null; output: string } | { skip: string } {
  const result = spawnSync('systemd-analyze', ['verify', ...names.map((n) => join(dir, n))], { cwd: dir, encoding: 'utf8' });
  if (result.error) return { skip: `systemd-analyze cannot run here (${result.error.message}); apt-get install systemd` };
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

const hasVerify = !spawnSync('systemd-analyze', ['--version']).error;
if (!hasVerify) console.log('skipping systemd-analyze verify: systemd-analyze is not installed (Debian package systemd)');

describe.skipIf(!hasVerify)('systemd-analyze verify', () => {
  /** The units with a binary that exists here (and a user that does) in place of the example ones. */
  function writeUnits(units: Array<{ name: string; content: string }>): string {
    const dir = makeTempDir('ph-units-');
    for (const unit of units) writeFileSync(join(dir, unit.name), unit.content);
    return dir;
  }
  const names = [RENEW_SERVICE, RENEW_TIMER, ALERT_SERVICE];

  it("the README's units, with this machine's binary, node and user: no complaint", () => {
    const units = readmeUnits().map((u) => ({
      name: u.name,
      content: u.content
        .replaceAll(README_VALUES.command, realpathSync(BIN))
        .replace(`PATH=${README_VALUES.path}`, `PATH=${dirname(process.execPath)}:${README_VALUES.path}`)
        .replace(`User=${README_VALUES.user}`, 'User=root'),
    }));
    expect(units[0]!.content).toContain(`ExecStart=${realpathSync(BIN)} renew`);
    const result = verify(writeUnits(units), names);
    if ('skip' in result) return console.log(result.skip);
    expect(result).toEqual({ code: 0, output: '' });
  });

  it('the units schedule --print systemd --output-dir writes: no complaint', async () => {
    const dir = makeTempDir('ph-units-');
    const run = await runBinary(['schedule', '--print', 'systemd', '--config-dir', '/var/lib/protime-hooks', '--output-dir', dir]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim().split('\n')).toEqual(names.map((n) => join(dir, n)));
    expect(readFileSync(join(dir, RENEW_SERVICE), 'utf8')).toContain(`ExecStart=${realpathSync(BIN)} renew --wait 10m\n`);
    const result = verify(dir, names);
    if ('skip' in result) return console.log(result.skip);
    expect(result).toEqual({ code: 0, output: '' });
  });

  it('the check can fail: a unit whose binary is missing, or with a misspelt setting, is reported', () => {
    const units = systemdUnits({ ...README_VALUES, command: '/nonexistent/protime-hooks', user: 'root' });
    units[1] = { ...units[1]!, content: units[1]!.content.replace('Persistent=true', 'Persistant=true') };
    const result = verify(writeUnits(units), names);
    if ('skip' in result) return console.log(result.skip);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('/nonexistent/protime-hooks');
    expect(result.output).toMatch(/Persistant/);
  });
});

it('the printed text is the units with their file names as comments', () => {
  expect(unitsText(systemdUnits(README_VALUES))).toMatch(/^# \/etc\/systemd\/system\/protime-hooks-renew\.service\n\[Unit\]/);
});
