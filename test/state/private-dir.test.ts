import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CliError } from '../../src/shared/errors.js';
import { ensurePrivateDir } from '../../src/state/private-dir.js';
import { runCli } from '../helpers/cli.js';
import { NOW, seedStore } from '../helpers/protime.js';

const roots: string[] = [];
function root(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ph-private-'));
  roots.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of roots.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const mode = (path: string) => statSync(path).mode & 0o7777;

function refusal(dir: string): CliError {
  try {
    ensurePrivateDir(dir);
  } catch (error) {
    if (error instanceof CliError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('the config dir: only what is ours is ever chmodded', () => {
  it('creates a missing folder 0700 with a marker', () => {
    const dir = join(root(), 'a', 'b');
    ensurePrivateDir(dir);
    expect(mode(dir)).toBe(0o700);
    expect(existsSync(join(dir, '.protime-hooks'))).toBe(true);
  });

  it('creates every missing level 0700, and names a file on the way or a folder under /proc, promptly', () => {
    const base = root();
    ensurePrivateDir(join(base, 'a', 'b', 'c'));
    for (const level of ['a', 'a/b', 'a/b/c']) expect(statSync(join(base, level)).mode & 0o777).toBe(0o700);
    writeFileSync(join(base, 'file'), '');
    expect(() => ensurePrivateDir(join(base, 'file', 'x', 'y'))).toThrow(`${join(base, 'file')} is not a folder`);
    // Node's recursive mkdir spun at 100 % CPU here (the test would time out); one level at a time it fails at once.
    expect(() => ensurePrivateDir(`/proc/${process.pid}/none/state`)).toThrow(/ENOENT/);
  });

  it('tightens an empty folder, and one that holds our state file', () => {
    const empty = join(root(), 'empty');
    mkdirSync(empty, { mode: 0o755 });
    chmodSync(empty, 0o755);
    ensurePrivateDir(empty);
    expect(mode(empty)).toBe(0o700);
    const old = join(root(), 'old');
    mkdirSync(old);
    writeFileSync(join(old, 'state.json'), '{}', { mode: 0o600 });
    chmodSync(old, 0o755);
    ensurePrivateDir(old);
    expect(mode(old)).toBe(0o700);
  });

  it("leaves someone else's readable folder as it is, with a warning", () => {
    const home = join(root(), 'home');
    mkdirSync(home);
    writeFileSync(join(home, 'notes.txt'), 'mine');
    chmodSync(home, 0o755);
    const warnings: string[] = [];
    ensurePrivateDir(home, (m) => warnings.push(m));
    expect(mode(home)).toBe(0o755);
    expect(warnings).toEqual([expect.stringContaining('can be read by other users (mode 755)')]);
  });

  it('refuses a folder others can write to, and keeps its mode (sticky bit included)', () => {
    const shared = join(root(), 'shared');
    mkdirSync(shared);
    writeFileSync(join(shared, 'someone-elses'), 'x');
    chmodSync(shared, 0o1777);
    const error = refusal(shared);
    expect(error).toMatchObject({ code: 'config-dir-unsafe', exitCode: 1 });
    expect(error.message).toContain('can be written by other users (mode 1777)');
    expect(mode(shared)).toBe(0o1777);
  });

  it.runIf(process.getuid?.() === 0)('refuses a folder owned by another user', () => {
    const theirs = join(root(), 'theirs');
    mkdirSync(theirs, { mode: 0o700 });
    chownSync(theirs, 65534, 65534);
    expect(refusal(theirs).message).toContain('belongs to another user (uid 65534)');
  });

  it('--config-dir /proc changes nothing there (a read-only command on a folder that is not ours)', async () => {
    const before = mode('/proc');
    const result = await runCli(['status', '--offline', '--config-dir', '/proc']);
    expect(result.code).toBe(4);
    expect(mode('/proc')).toBe(before);
  });

  it('tightens a state file others can read on a read-only command, with a warning naming it', async () => {
    const dir = join(root(), 'cfg');
    await seedStore(dir);
    chmodSync(join(dir, 'state.json'), 0o644);
    const result = await runCli(['status', '--offline', '--config-dir', dir], { now: NOW });
    expect(mode(join(dir, 'state.json'))).toBe(0o600);
    expect(result.stderr).toContain('could be read by other users (mode 644); it is 0600 now');
    expect(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')).profiles.default.tenant).toBe('acme');
  });

  it('with no HOME and no XDG_CONFIG_HOME, asks for --config-dir instead of writing to ./.config', async () => {
    const cwd = root();
    const status = await runCli(['status', '--offline'], { env: { HOME: '', XDG_CONFIG_HOME: '' }, cwd });
    expect(status.code).toBe(2);
    expect(status.stderr).toContain('--config-dir');
    expect(existsSync(join(cwd, '.config'))).toBe(false);
    const collections = await runCli(['collections', '--json'], { env: { HOME: '', XDG_CONFIG_HOME: '' }, cwd });
    expect(collections.code).toBe(0);
  });
});
