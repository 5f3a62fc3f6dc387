import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { runCli, silentIo, tempDir } from '../helpers/cli.js';
import { makeRecord, NOW, seedStore } from '../helpers/protime.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the ANSI colour codes looked for.
const ANSI = /\u001b\[/;

/** Every command's argv, `emulator trigger` included, read from the commander tree itself. */
function everyCommand(): string[][] {
  const walk = (command: Command, path: string[]): string[][] =>
    command.commands.flatMap((sub) => [[...path, sub.name()], ...walk(sub, [...path, sub.name()])]);
  return [
    [],
    ...walk(
      buildProgram(async () => undefined, silentIo(), {}),
      [],
    ),
  ];
}

describe('help fits the terminal', () => {
  const commands = everyCommand();

  it('knows every command', () => {
    expect(commands.map((c) => c.join(' '))).toEqual(
      expect.arrayContaining(['subscribe', 'renew', 'status', 'emulator trigger', 'listen']),
    );
  });

  it.each(commands.map((c) => [c.join(' ') || '(none)', c]))('%s --help has no line over 80 columns when piped', async (_name, argv) => {
    const help = await runCli([...(argv as string[]), '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: protime-hooks');
    const long = help.stdout.split('\n').filter((line) => line.length > 80);
    expect(long).toEqual([]);
  });

  it('wraps at the terminal width on a TTY: subscribe --help at 80, wider at 160', async () => {
    const narrow = await runCli(['subscribe', '--help'], { tty: true, columns: 80 });
    expect(Math.max(...narrow.stdout.split('\n').map((line) => line.length))).toBeLessThanOrEqual(80);
    const wide = await runCli(['subscribe', '--help'], { tty: true, columns: 160 });
    const widest = Math.max(...wide.stdout.split('\n').map((line) => line.length));
    expect(widest).toBeGreaterThan(80);
    expect(widest).toBeLessThanOrEqual(160);
  });

  it('emulator --help shows the --validity default as the option takes it, and the option takes it', async () => {
    const flat = (text: string) => text.replace(/\s+/g, ' ');
    expect(flat((await runCli(['emulator', '--help'])).stdout)).toContain('--validity <duration> lifetime of a new webhook (default: 30d)');
    expect(flat((await runCli(['listen', '--help'])).stdout)).toContain('answer 504 when the app takes longer (default: 10s)');
    const seen: object[] = [];
    await buildProgram(async (_name, options) => void seen.push(options), silentIo(), {}).parseAsync(['emulator', '--validity', '30d'], {
      from: 'user',
    });
    expect(seen[0]).toMatchObject({ validitySeconds: 30 * 86_400 });
  });
});

describe('NO_COLOR per no-color.org', () => {
  async function statusAtTerminal(env: Record<string, string>, flags: string[] = []) {
    const dir = tempDir();
    await seedStore(dir, { records: [makeRecord({ validUntil: '2026-06-21T12:00:00.000Z', createdAt: '2026-05-22T12:00:00.000Z' })] });
    return runCli(['status', '--offline', '--config-dir', dir, ...flags], { tty: true, columns: 200, now: NOW, env });
  }

  it('colours a terminal when NO_COLOR is unset or empty', async () => {
    expect((await statusAtTerminal({})).stdout).toMatch(ANSI);
    const empty = await statusAtTerminal({ NO_COLOR: '' });
    expect(empty.code).toBe(0);
    expect(empty.stdout).toMatch(ANSI);
    expect(empty.stderr).toMatch(ANSI);
  });

  it('never colours when NO_COLOR has a value, or with --no-color', async () => {
    const set = await statusAtTerminal({ NO_COLOR: '1' });
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('ok');
    expect(set.stdout).not.toMatch(ANSI);
    expect(set.stderr).not.toMatch(ANSI);
    expect((await statusAtTerminal({}, ['--no-color'])).stdout).not.toMatch(ANSI);
  });
});
