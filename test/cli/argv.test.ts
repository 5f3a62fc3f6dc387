import { describe, expect, it } from 'vitest';
import type { CommandName } from '../../src/cli/commands.js';
import { buildProgram } from '../../src/cli/program.js';
import type { Env, GlobalOptions } from '../../src/context.js';
import { runCli, silentIo, tempDir } from '../helpers/cli.js';

/** Parses argv with a recording dispatch: which command got which options. */
async function parse(argv: string[], env: Env = { HOME: '/home/u' }) {
  const calls: Array<{ name: CommandName; options: object; globals: GlobalOptions }> = [];
  await buildProgram(async (name, options, globals) => void calls.push({ name, options, globals }), silentIo(), env).parseAsync(argv, {
    from: 'user',
  });
  expect(calls).toHaveLength(1);
  return calls[0]!;
}

describe('argv → options', () => {
  it.each([
    [['status'], 'status', { collection: undefined, renewWithinSeconds: undefined, offline: false, all: false, allProfiles: false }],
    [
      ['status', '--renew-within', '36h', '--offline', '--collection', 'people'],
      'status',
      { collection: 'people', renewWithinSeconds: 129_600, offline: true, all: false, allProfiles: false },
    ],
    [
      ['subscribe', 'contracts', '--url', 'https://h/x', '--external-ref', 'a,b', '--external-ref', 'c,d', '--dry-run'],
      'subscribe',
      { collection: 'contracts', url: 'https://h/x', externalRefs: ['a,b', 'c,d'], force: false, dryRun: true, hookTimeoutSeconds: 60 },
    ],
    [
      ['subscribe', 'people', '--url', 'https://h/x', '--force'],
      'subscribe',
      { collection: 'people', url: 'https://h/x', externalRefs: [], force: true, dryRun: false, hookTimeoutSeconds: 60 },
    ],
    [['logout', '--purge', '-y'], 'logout', { purge: true, yes: true }],
    [['collections'], 'collections', {}],
    [['profiles'], 'profiles', {}],
  ] as const)('%j', async (argv, name, options) => {
    const call = await parse([...argv]);
    expect(call.name).toBe(name);
    expect(call.options).toEqual(options);
  });

  it.each([
    [['renew'], { allProfiles: false, concurrency: 8, randomDelaySeconds: undefined }],
    [
      ['renew', '--all-profiles', '--concurrency', '3', '--random-delay', '10m'],
      { allProfiles: true, concurrency: 3, randomDelaySeconds: 600 },
    ],
    [['keys', '--all-profiles'], { allProfiles: true }],
    [['metrics', '--all-profiles', '--offline'], { allProfiles: true, offline: true, output: undefined }],
    [['status', '--all-profiles'], { allProfiles: true }],
  ] as const)('fleet flags %j', async (argv, options) => {
    expect((await parse([...argv])).options).toMatchObject(options);
  });

  it('maps login flags, with environment variables as fallbacks', async () => {
    const call = await parse(['login', '--tenant', 'acme', '--client-id', 'id-1', '--client-secret-stdin', '--scope', 'a.read', 'b.read'], {
      PROTIME_CLIENT_ID: 'ignored',
      PROTIME_API_URL: 'http://127.0.0.1:1/api',
      PROTIME_CLIENT_SECRET: 's3cret',
    });
    expect(call.options).toEqual({
      tenant: 'acme',
      clientId: 'id-1',
      clientSecretStdin: true,
      clientSecretFile: undefined,
      clientSecretEnv: 's3cret',
      environment: 'production',
      apiUrl: 'http://127.0.0.1:1/api',
      tokenUrl: undefined,
      userAgent: undefined,
      scopes: ['a.read', 'b.read'],
    });
  });

  it('accepts global options before or after the subcommand', async () => {
    const before = await parse(['--json', '--profile', 'p1', '--config-dir', '/c', '-q', 'status']);
    const after = await parse(['status', '--json', '--profile', 'p1', '--config-dir', '/c', '-q']);
    expect(after.globals).toEqual(before.globals);
    expect(before.globals).toEqual({ profile: 'p1', configDir: '/c', json: true, quiet: true, debug: false, color: true, input: true });
  });

  it('resolves globals flag > environment > default', async () => {
    const env = { HOME: '/home/u', PROTIME_PROFILE: 'envp', PROTIME_HOOKS_CONFIG_DIR: '/env/dir', PROTIME_HOOKS_DEBUG: '1', NO_COLOR: '1' };
    expect((await parse(['status'], env)).globals).toMatchObject({ profile: 'envp', configDir: '/env/dir', debug: true, color: false });
    expect((await parse(['status', '--profile', 'flag'], env)).globals.profile).toBe('flag');
    expect((await parse(['status'], { HOME: '/home/u' })).globals.configDir).toBe('/home/u/.config/protime-hooks');
    expect((await parse(['status'], { HOME: '/home/u', XDG_CONFIG_HOME: '/xdg' })).globals.configDir).toBe('/xdg/protime-hooks');
    expect((await parse(['status', '--no-color', '--no-input'])).globals).toMatchObject({ color: false, input: false });
  });
});

describe('usage errors', () => {
  it.each([[['bogus']], [['status', '--nope']], [['subscribe']], [['login', '--environment', 'staging']]])(
    '%j exits 2 with a message on stderr and nothing on stdout',
    async (argv) => {
      const result = await runCli(argv, { cwd: tempDir() });
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^\[error\] /);
    },
  );

  it('shows the help on stderr and exits 2 when no command is given', async () => {
    const result = await runCli([]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('Usage: protime-hooks [options] [command]');
  });

  it('prints one JSON error document under --json', async () => {
    const result = await runCli(['status', '--nope', '--json']);
    expect(result.code).toBe(2);
    expect(result.json()).toEqual({
      error: {
        code: 'usage',
        message: "unknown option '--nope'",
        hint: 'Run `protime-hooks --help` (or `<command> --help`) for usage.',
        status: null,
      },
    });
    expect(result.stderr).toBe('');
  });

  it('--help and --version exit 0 with output on stdout', async () => {
    const help = await runCli(['status', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--renew-within <duration>');
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('environment files', () => {
  it('loads --env-file and ./.env without overriding variables already set', async () => {
    const cwd = tempDir();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${cwd}/.env`, 'PROTIME_PROFILE=from-dotenv\nPROTIME_HOOKS_CONFIG_DIR=/nonexistent-should-lose\n');
    writeFileSync(`${cwd}/extra.env`, `PROTIME_HOOKS_CONFIG_DIR=${cwd}/state\n`);
    const result = await runCli(['profiles', '--json', '--env-file', `${cwd}/extra.env`], { cwd, env: { PROTIME_PROFILE: 'from-shell' } });
    expect(result.code).toBe(0);
    expect(result.json()).toEqual([]);
    const { existsSync } = await import('node:fs');
    expect(existsSync(`${cwd}/state`)).toBe(true);
  });

  it('a missing --env-file is a usage error', async () => {
    const result = await runCli(['profiles', '--env-file', '/no/such/file']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Cannot read --env-file /no/such/file: ENOENT');
  });
});
