import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cli.js';
import { runBinary } from './run-binary.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

describe('the built binary', () => {
  it('--version prints the package version', async () => {
    const run = await runBinary(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${pkg.version}\n`);
    expect(run.stderr).toBe('');
  });

  it('--help lists every command on stdout', async () => {
    const run = await runBinary(['--help']);
    expect(run.code).toBe(0);
    for (const command of ['login', 'logout', 'subscribe', 'status', 'collections', 'profiles'])
      expect(run.stdout).toContain(`  ${command}`);
    expect(run.stderr).toBe('');
  });

  it('collections --json prints the 18 collections as one JSON document', async () => {
    const run = await runBinary(['collections', '--json']);
    expect(run.code).toBe(0);
    const list = run.json();
    expect(list).toHaveLength(18);
    expect(list[0]).toEqual({ name: 'absences', label: 'Absences' });
  });

  it('a usage error exits 2 with the message on stderr only', async () => {
    const run = await runBinary(['subscribe', 'contracs', '--url', 'https://h.example/x']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('Did you mean "contracts"?');
    expect(run.stderr).not.toContain('    at '); // no stack trace
  });

  it('status --offline without a profile exits 4 and prints a JSON error under --json', async () => {
    const run = await runBinary(['status', '--offline', '--json'], { env: { PROTIME_HOOKS_CONFIG_DIR: tempDir() } });
    expect(run.code).toBe(4);
    expect(run.json().error.code).toBe('not-logged-in');
  });

  // Node 20 itself reads --env-file anywhere in argv (exit 9 when missing, a hang on /dev/zero):
  // run as installed, the binary must get the flag first.
  it.each([
    ['a missing file', '/nonexistent/.env', 'Cannot read --env-file /nonexistent/.env: ENOENT.'],
    ['an endless file', '/dev/zero', '/dev/zero is larger than 1 MiB: that is not an env file.'],
  ])('--env-file with %s is a usage error of ours (exit 2, JSON), not one of Node', async (_, path, message) => {
    const run = await runBinary(['--env-file', path, 'status', '--offline', '--json'], { direct: true, timeoutMs: 10_000 });
    expect(run.code).toBe(2);
    expect(run.json().error).toMatchObject({ code: 'env-file', message });
  });

  it('--env-file settings apply when the binary runs as installed', async () => {
    const dir = tempDir();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${dir}/settings.env`, `PROTIME_HOOKS_CONFIG_DIR=${dir}/state\n`);
    const run = await runBinary(['--env-file', `${dir}/settings.env`, 'profiles', '--json'], { direct: true });
    expect(run.code).toBe(0);
    expect(run.stderr).not.toContain('node:');
    expect(run.json()).toEqual([]);
  });

  it('exits 0 when stdout is closed early by the reader', async () => {
    const { spawnSync } = await import('node:child_process');
    const result = spawnSync('bash', ['-c', `node ${JSON.stringify((await import('./run-binary.js')).BIN)} collections | head -1`], {
      encoding: 'utf8',
    });
    expect(result.stdout.trim()).toMatch(/^NAME\s+LABEL$/);
    expect(result.stderr).toBe('');
  });
});
