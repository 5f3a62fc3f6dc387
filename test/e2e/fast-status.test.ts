/**
 * status --offline through the built binary: piped, the shim answers from state.status without
 * loading the CLI, and prints what the CLI prints. A preloaded spy (fixtures/loaded-spy.cjs) says
 * what was loaded: the fast path's bundle, and the CLI (commander's child_process).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { SubscriptionRecord } from '../../src/state/schemas.js';
import { tempDir } from '../helpers/cli.js';
import { makeRecord, seedStore } from '../helpers/protime.js';
import { BIN, runBinary } from './run-binary.js';

const SPY = fileURLToPath(new URL('./fixtures/loaded-spy.cjs', import.meta.url));
const HAS_SCRIPT = spawnSync('script', ['--version']).status === 0;
const DAY = 86_400_000;

/** Records far from any instant where a state or a LEFT cell changes, so two runs a second apart agree. */
function steadyRecords(count: number, validForMs: number): SubscriptionRecord[] {
  const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
  const validUntil = new Date(hour + validForMs + 30 * 60_000).toISOString();
  const createdAt = new Date(hour - 10 * DAY).toISOString();
  return Array.from({ length: count }, (_, i) =>
    makeRecord({ validUntil, createdAt, destinationUrl: `https://hooks.example.com/${i}`, collection: i % 2 ? 'contracts' : 'people' }),
  );
}

async function run(dir: string, args: string[]) {
  const spyFile = join(dir, `spy-${Math.random()}`);
  const result = await runBinary(args, {
    env: { HOME: dir, PROTIME_HOOKS_CONFIG_DIR: dir, NODE_OPTIONS: `--require ${SPY}`, SPY_FILE: spyFile },
    cwd: dir,
  });
  return { ...result, loaded: JSON.parse(readFileSync(spyFile, 'utf8')) as { bundle: boolean; cli: boolean } };
}

describe('status --offline, piped, through the binary', () => {
  it('the CLI answers first and indexes; then the fast path answers the same, without the CLI', async () => {
    const dir = tempDir();
    await seedStore(dir, { records: steadyRecords(300, 20 * DAY) });
    const first = await run(dir, ['status', '--offline']);
    expect(first.loaded).toEqual({ bundle: true, cli: true });
    const fast = await run(dir, ['status', '--offline']);
    expect(fast.loaded).toEqual({ bundle: true, cli: false });
    // --no-input changes nothing for status; any other argument sends the shim to the CLI.
    const cli = await run(dir, ['status', '--offline', '--no-input']);
    expect(cli.loaded.cli).toBe(true);
    for (const other of [first, cli]) {
      expect(fast.stdout).toBe(other.stdout);
      expect(fast.stderr).toBe(other.stderr);
      expect(fast.code).toBe(other.code);
    }
    expect(fast.code).toBe(0);
    expect(fast.stdout.split('\n')).toHaveLength(302);
    expect(fast.stderr).toBe('[info] 300 subscription(s): 300 ok (offline: from local records).\n');
  });

  it('--json: the document of the CLI, and its exit code when renewal is due', async () => {
    const dir = tempDir();
    await seedStore(dir, { records: steadyRecords(20, 3 * DAY) });
    await run(dir, ['status', '--offline']);
    const fast = await run(dir, ['status', '--offline', '--json']);
    const cli = await run(dir, ['status', '--offline', '--json', '--no-input']);
    expect(fast.loaded.cli).toBe(false);
    expect(cli.loaded.cli).toBe(true);
    expect(fast.code).toBe(3);
    expect(cli.code).toBe(3);
    expect(fast.stderr).toBe(cli.stderr);
    // Taken a moment apart: the check time and the seconds left may differ by that moment.
    const steady = (text: string) =>
      JSON.parse(text, (name, value) => (name === 'checkedAt' ? 'then' : name === 'secondsLeft' ? Math.round(value / 60) : value));
    expect(steady(fast.stdout)).toEqual(steady(cli.stdout));
    expect(steady(fast.stdout).summary.renewDue).toBe(20);
  });

  it('a reader that goes early (`| head -1`) is no error', async () => {
    const dir = tempDir();
    await seedStore(dir, { records: steadyRecords(2000, 20 * DAY) });
    await run(dir, ['status', '--offline']);
    const script = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} status --offline | head -1; echo "exit \${PIPESTATUS[0]}" >&2`;
    const result = spawnSync('bash', ['-c', script], {
      env: { PATH: process.env.PATH, HOME: dir, PROTIME_HOOKS_CONFIG_DIR: dir },
      encoding: 'utf8',
    });
    expect(result.stdout).toMatch(/^ID\s+COLLECTION\s+DESTINATION\s+STATE/);
    expect(result.stdout.split('\n')).toHaveLength(2);
    expect(result.stderr).toBe('exit 0\n');
  });

  it.skipIf(!HAS_SCRIPT)('at a terminal the CLI answers, with its boxed table', async () => {
    const dir = tempDir();
    await seedStore(dir, { records: steadyRecords(3, 20 * DAY) });
    await run(dir, ['status', '--offline']);
    const spyFile = join(dir, 'spy-tty');
    const command = `stty cols 200 rows 50; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} status --offline`;
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      env: {
        PATH: process.env.PATH ?? '',
        TERM: 'xterm',
        HOME: dir,
        PROTIME_HOOKS_CONFIG_DIR: dir,
        NODE_OPTIONS: `--require ${SPY}`,
        SPY_FILE: spyFile,
      },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    await new Promise((resolve) => child.on('close', resolve));
    expect(JSON.parse(readFileSync(spyFile, 'utf8')).cli).toBe(true);
    expect(output).toContain('┌');
    expect(output).toContain('3 subscription(s): 3 ok');
  });
});
