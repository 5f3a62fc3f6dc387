/**
 * Running from a clone that was never built: bin/ without dist/ says so in one line (exit 1, no
 * stack), through the #! line as an installed binary runs and through `node bin/protime-hooks.js`.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDirs } from './emulator-process.js';
import { BIN } from './run-binary.js';

afterEach(removeTempDirs);

/** A copy of bin/ in a fresh folder: a clone before `npm run build`. */
function unbuiltClone(): string {
  const root = makeTempDir('ph-clone-');
  cpSync(join(BIN, '..'), join(root, 'bin'), { recursive: true });
  return root;
}

function run(root: string, args: string[], direct: boolean) {
  const bin = join(root, 'bin', 'protime-hooks.js');
  const [command, argv] = direct ? [bin, args] : [process.execPath, [bin, ...args]];
  const result = spawnSync(command, argv, { env: { PATH: process.env.PATH ?? '', HOME: root }, encoding: 'utf8', cwd: root });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('a clone without dist/', () => {
  it.each([
    ['through its #! line', true],
    ['with node bin/protime-hooks.js', false],
  ])('%s: one line naming the missing build and the fix, exit 1, no stack', (_how, direct) => {
    const root = unbuiltClone();
    const result = run(root, ['status'], direct);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `protime-hooks: This copy of protime-hooks is not built: ${root}/dist/cli.mjs is missing. Run \`npm install && npm run build\` in ${root}.\n`,
    );
  });

  it('--json: the one error document on stdout, exit 1', () => {
    const root = unbuiltClone();
    const result = run(root, ['status', '--json'], true);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({
      error: {
        code: 'not-built',
        message: `This copy of protime-hooks is not built: ${root}/dist/cli.mjs is missing.`,
        hint: `Run \`npm install && npm run build\` in ${root}.`,
        status: null,
      },
    });
  });

  it('a broken build (dist/cli.mjs importing a missing chunk) is not called "not built": Node names the missing file', () => {
    const root = unbuiltClone();
    mkdirSync(join(root, 'dist'));
    writeFileSync(join(root, 'dist', 'cli.mjs'), "import './chunk-gone.mjs';\nexport async function main() {}\n");
    const result = run(root, ['status'], true);
    expect(result.code).toBe(1);
    expect(result.stderr).not.toContain('not built');
    expect(result.stderr).toContain('chunk-gone.mjs');
  });
});
