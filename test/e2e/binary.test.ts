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

  it('exits 0 when stdout is closed early by the reader', async () => {
    const { spawnSync } = await import('node:child_process');
    const result = spawnSync('bash', ['-c', `node ${JSON.stringify((await import('./run-binary.js')).BIN)} collections | head -1`], {
      encoding: 'utf8',
    });
    expect(result.stdout.trim()).toMatch(/^NAME\s+LABEL$/);
    expect(result.stderr).toBe('');
  });
});
