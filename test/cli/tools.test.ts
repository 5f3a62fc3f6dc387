import { realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';

describe('schedule and completion, in-process', () => {
  it('schedule --print cron: a crontab for `crontab -` with this node on PATH and the state of the command line', async () => {
    const dir = join(tempDir(), 'state');
    const run = await runCli(['schedule', '--print', 'cron', '--config-dir', dir]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    const path = /^PATH=(.*)$/m.exec(run.stdout)?.[1]?.split(':');
    expect(path).toContain(dirname(process.execPath));
    expect(run.stdout).toContain(`\nPROTIME_HOOKS_CONFIG_DIR=${dir}\n`);
    // Under vitest argv[1] is vitest's own entry: the line names whatever file this process runs, resolved.
    expect(run.stdout).toContain(` ${realpathSync(process.argv[1]!)} renew --wait 10m > /dev/null`);
    expect(run.stdout).toMatch(/^# MAILTO=/m);
    expect(run.stdout).not.toMatch(/PROTIME_PROFILE/);
  });

  it('a relative --config-dir is made absolute (cron runs in the home folder), and a profile other than default is named', async () => {
    const cwd = tempDir();
    const run = await runCli(['schedule', '--print', 'systemd', '--config-dir', 'rel/state', '--profile', 'acme'], { cwd });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Environment=PROTIME_HOOKS_CONFIG_DIR=${join(process.cwd(), 'rel/state')}\n`);
    expect(run.stdout).toContain('Environment=PROTIME_PROFILE=acme\n');
  });

  it('a config dir with a space and a % is quoted and escaped for systemd', async () => {
    const run = await runCli(['schedule', '--print', 'systemd', '--config-dir', '/srv/ph state/100%']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Environment="PROTIME_HOOKS_CONFIG_DIR=/srv/ph state/100%%"\n');
  });

  it.each([
    [['schedule'], /--print/],
    [['schedule', '--print', 'anacron'], /cron, systemd/],
    [['completion'], /shell/],
    [['completion', 'powershell'], /bash, zsh, fish/],
  ])('%j is a usage error (exit 2)', async (argv, message) => {
    const run = await runCli(argv);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(message);
  });

  it('completion --json: the script as data', async () => {
    const run = await runCli(['completion', 'fish', '--json']);
    expect(run.code).toBe(0);
    const doc = run.json();
    expect(doc.shell).toBe('fish');
    expect(doc.script).toContain("complete -c protime-hooks -n '__fish_seen_subcommand_from subscribe' -l url");
  });
});
