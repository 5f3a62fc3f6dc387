import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cli.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('the npm package', () => {
  it('installs as exactly one package and runs --help', () => {
    const out = tempDir();
    const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', out], { cwd: root, encoding: 'utf8' })
      .trim()
      .split('\n')
      .pop()!;
    const project = tempDir();
    writeFileSync(join(project, 'package.json'), '{"name":"consumer","version":"1.0.0","private":true}');
    const log = execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', join(out, tarball)], {
      cwd: project,
      encoding: 'utf8',
    });
    expect(log).toContain('added 1 package');
    expect(readdirSync(join(project, 'node_modules')).filter((name) => !name.startsWith('.'))).toEqual(['protime-hooks']);
    const help = execFileSync(join(project, 'node_modules', '.bin', 'protime-hooks'), ['--help'], { encoding: 'utf8' });
    expect(help).toContain('Usage: protime-hooks');
  }, 60_000);
});
