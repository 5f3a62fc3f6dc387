/**
 * `completion <shell>` from the built binary, run in the real shells: bash's completion function
 * called with COMP_WORDS/COMP_CWORD set, as bash calls it on Tab; the shared core under zsh; fish's
 * own `complete -C`. Profile names come from the store at completion time; commands and flags from
 * the commander tree, so the expected lists here are read from that tree too.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { COLLECTION_NAMES } from '../../src/shared/collections.js';
import { silentIo } from '../helpers/cli.js';
import { CliUser, EmulatorProcess, expectExit, makeTempDir, removeTempDirs, stopAll } from './emulator-process.js';
import { BIN, runBinary } from './run-binary.js';

afterEach(async () => {
  await stopAll();
  removeTempDirs();
});

const program = buildProgram(async () => undefined, silentIo(), {});
const commandNames = program.commands.map((c) => c.name());
const subscribeFlags = program.commands.find((c) => c.name() === 'subscribe')!.options.flatMap((o) => (o.long ? [o.long] : []));

async function script(shell: string): Promise<string> {
  const run = expectExit(await runBinary(['completion', shell]), 0, `completion ${shell}`);
  expect(run.stderr).toBe('');
  const file = join(makeTempDir('ph-completion-'), `protime-hooks.${shell}`);
  writeFileSync(file, run.stdout);
  return file;
}

/** Sources the bash script and calls its function as bash does on Tab: the words typed, the last one being completed. */
function bashComplete(file: string, words: string[]): string[] {
  const probe = `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _protime_hooks; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const result = spawnSync('bash', ['--norc', '--noprofile', '-c', probe, 'bash', file, ...words], { encoding: 'utf8' });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return result.stdout.split('\n').filter(Boolean);
}

describe('bash completion, in bash', () => {
  it('completes every command of the tree, and a prefix to its command', async () => {
    const file = await script('bash');
    expect(commandNames).toContain('subscribe');
    expect(commandNames).toContain('completion');
    expect(bashComplete(file, ['protime-hooks', '']).sort()).toEqual([...commandNames].sort());
    expect(bashComplete(file, ['protime-hooks', 'subs'])).toEqual(['subscribe']);
    // Global flags before the command do not stop it being found.
    expect(bashComplete(file, ['protime-hooks', '--profile', 'x', '--json', 'unsu'])).toEqual(['unsubscribe']);
  });

  it("completes subscribe's flags (all of them, from the tree), then the global ones", async () => {
    const file = await script('bash');
    const flags = bashComplete(file, ['protime-hooks', 'subscribe', 'contracts', '--']);
    expect(subscribeFlags).toContain('--external-ref');
    for (const flag of [...subscribeFlags, '--json', '--config-dir', '--help']) expect(flags).toContain(flag);
    expect(bashComplete(file, ['protime-hooks', 'subscribe', 'contracts', '--ext'])).toEqual(['--external-ref']);
  });

  it('completes collection names for subscribe and --collection, and the choices of a flag or argument', async () => {
    const file = await script('bash');
    expect(bashComplete(file, ['protime-hooks', 'subscribe', '']).sort()).toEqual([...COLLECTION_NAMES].sort());
    expect(bashComplete(file, ['protime-hooks', 'subscribe', 'con'])).toEqual(['contracts']);
    expect(bashComplete(file, ['protime-hooks', 'status', '--collection', 'abs'])).toEqual([
      'absences',
      'absence-definitions',
      'absence-groups',
    ]);
    expect(bashComplete(file, ['protime-hooks', 'emulator', 'trigger', 'peo'])).toEqual(['people']);
    expect(bashComplete(file, ['protime-hooks', 'schedule', '--print', ''])).toEqual(['cron', 'systemd']);
    expect(bashComplete(file, ['protime-hooks', 'completion', ''])).toEqual(['bash', 'zsh', 'fish']);
    // After a flag that takes free text, nothing is made up.
    expect(bashComplete(file, ['protime-hooks', 'subscribe', 'contracts', '--url', ''])).toEqual([]);
  });

  it('completes file names after a path flag', async () => {
    const dir = makeTempDir('ph-files-');
    writeFileSync(join(dir, 'keys-out.json'), '[]');
    const file = await script('bash');
    expect(bashComplete(file, ['protime-hooks', 'keys', '--output', join(dir, 'keys-')])).toEqual([join(dir, 'keys-out.json')]);
  });

  it('completes the profile names of the store the line points at (--config-dir), asking the binary', async () => {
    const emulator = await EmulatorProcess.start();
    const user = new CliUser(emulator);
    expectExit(await user.login(), 0, 'login default');
    expectExit(
      await user.run(['--profile', 'acme-prod', ...emulator.loginArgs()], { stdin: `${emulator.info.clientSecret}\n` }),
      0,
      'login',
    );
    const file = await script('bash');
    expect(bashComplete(file, [BIN, '--config-dir', user.configDir, '--profile', '']).sort()).toEqual(['acme-prod', 'default']);
    expect(bashComplete(file, [BIN, '--config-dir', user.configDir, 'status', '--profile', 'ac'])).toEqual(['acme-prod']);
  });
});

const has = (shell: string) => !spawnSync(shell, ['--version']).error;
for (const shell of ['zsh', 'fish'])
  if (!has(shell)) console.log(`skipping ${shell} completion checks: ${shell} is not installed (apt-get install ${shell})`);

describe.skipIf(!has('zsh'))('zsh completion', () => {
  it('parses (zsh -n), and its core completes under zsh as under bash', async () => {
    const file = await script('zsh');
    expect(spawnSync('zsh', ['-n', file], { encoding: 'utf8' })).toMatchObject({ status: 0, stderr: '' });
    const probe = (words: string[]) => {
      const result = spawnSync(
        'zsh',
        ['-f', '-c', 'source "$1"; shift; __protime_hooks_candidates "$@"', 'zsh', file, String(words.length - 1), ...words],
        {
          encoding: 'utf8',
        },
      );
      expect(result.stderr).toBe('');
      return result.stdout.split(/\s+/).filter(Boolean);
    };
    expect(probe(['protime-hooks', 'subscribe', ''])).toEqual(['words', ...COLLECTION_NAMES]);
    expect(probe(['protime-hooks', ''])).toEqual(['words', ...commandNames]);
    expect(probe(['protime-hooks', 'subscribe', 'contracts', '--'])).toEqual(expect.arrayContaining(['words', ...subscribeFlags]));
    expect(probe(['protime-hooks', '--config-dir', ''])).toEqual(['files']);
  });
});

describe.skipIf(!has('fish'))('fish completion', () => {
  it('parses (fish --no-execute), and complete -C offers commands, subscribe flags and collections', async () => {
    const file = await script('fish');
    expect(spawnSync('fish', ['--no-execute', file], { encoding: 'utf8' })).toMatchObject({ status: 0, stderr: '' });
    const complete = (line: string) => {
      const result = spawnSync('fish', ['--no-config', '-c', `source ${file}; complete -C '${line}'`], { encoding: 'utf8' });
      expect(result.stderr).toBe('');
      return result.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0]);
    };
    expect(complete('protime-hooks ').sort()).toEqual(expect.arrayContaining([...commandNames].sort()));
    expect(complete('protime-hooks subscribe contracts --ext')).toEqual(['--external-ref']);
    expect(complete('protime-hooks subscribe con')).toEqual(['contracts']);
    expect(complete('protime-hooks schedule --print ')).toEqual(['cron', 'systemd']);
  });
});

it('completion of an unknown shell is a usage error naming the shells', async () => {
  const run = await runBinary(['completion', 'tcsh']);
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr).toMatch(/bash, zsh, fish/);
});
