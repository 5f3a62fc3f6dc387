/**
 * `--version` and `--help` alone are answered by the shim from dist/fast.cjs without loading the
 * CLI. What they print must be exactly what the CLI (commander) prints: compared with the same
 * request made so that the shim passes it on (a second, neutral flag), piped and at terminals of
 * several widths, the fast ones and those that fall through.
 */
import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN, runBinary } from './run-binary.js';

const HAS_SCRIPT = spawnSync('script', ['--version']).status === 0;
const quote = (arg: string) => `'${arg.replaceAll("'", `'\\''`)}'`;

/** The binary's output at a terminal `columns` wide (stdout and stderr as the terminal shows them). */
function atTerminal(args: string[], columns: number): Promise<string> {
  const command = `stty cols ${columns} rows 50; exec ${quote(process.execPath)} ${quote(BIN)} ${args.map(quote).join(' ')}`;
  const child = spawn('script', ['-qec', command, '/dev/null'], { env: { PATH: process.env.PATH ?? '', TERM: 'xterm' } });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  return new Promise((resolve) => child.on('close', () => resolve(output.replaceAll('\r\n', '\n'))));
}

describe('the start-up fast path', () => {
  it.each([['--version'], ['-V'], ['--help'], ['-h']])('%s piped: exactly what the CLI prints, exit 0', async (arg) => {
    const fast = await runBinary([arg]);
    // `--no-input` changes nothing here, but two arguments make the shim hand over to the CLI.
    const cli = await runBinary(['--no-input', arg]);
    expect(fast.code).toBe(0);
    expect(cli.code).toBe(0);
    expect(fast.stdout).toBe(cli.stdout);
    expect(fast.stdout.length).toBeGreaterThan(5);
    expect(fast.stderr).toBe('');
  });

  it.skipIf(!HAS_SCRIPT).each([80, 100, 120, 132, 90, 200])(
    '--help at a %i-column terminal: exactly what the CLI prints',
    async (columns) => {
      const [fast, cli] = await Promise.all([atTerminal(['--help'], columns), atTerminal(['--no-input', '--help'], columns)]);
      expect(fast).toBe(cli);
      expect(fast).toContain('Usage: protime-hooks');
      expect(Math.max(...fast.split('\n').map((line) => line.length))).toBeLessThanOrEqual(columns);
    },
  );

  it('a lone argument that is not --version or --help goes to the CLI as before', async () => {
    const run = await runBinary(['--frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--frobnicate');
  });
});
