import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { failure } from '../../src/shared/errors.js';
import { acquireLock, type LockOwner } from '../../src/state/lock.js';
import { tempDir } from '../helpers/cli.js';

const DEAD_PID = 2_147_483_646;

function leaveLock(base: string, owner: LockOwner) {
  mkdirSync(`${base}.lock`);
  writeFileSync(`${base}.owner`, JSON.stringify(owner));
}

const spec = (base: string) => ({
  base,
  command: 'test',
  waitMs: 0,
  staleMs: 60_000,
  busy: (owner?: LockOwner) => failure('busy', `held by ${owner?.pid ?? 'nobody known'}`),
});

describe('acquireLock', () => {
  it('writes its owner while held and removes lock and owner on release', async () => {
    const base = join(tempDir(), 'x');
    const release = await acquireLock(spec(base));
    expect(JSON.parse(readFileSync(`${base}.owner`, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname(), command: 'test' });
    await release();
    expect(existsSync(`${base}.lock`)).toBe(false);
    expect(existsSync(`${base}.owner`)).toBe(false);
  });

  it('never shows a torn owner file: a watcher in another process reads whole owners or none, while a holder cycles', {
    timeout: 60_000,
  }, async () => {
    // A holder killed mid-write would leave what the watcher would see: an owner that reads as
    // none, so its dead lock could not be taken over at once.
    const base = join(tempDir(), 'x');
    const cycler = fileURLToPath(new URL('./fixtures/lock-cycler.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', cycler, base, '3000'], { stdio: 'inherit' });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    let done = false;
    void exited.then(() => (done = true));
    let whole = 0;
    const torn: string[] = [];
    while (!done) {
      let text: string;
      try {
        text = readFileSync(`${base}.owner`, 'utf8');
      } catch {
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      try {
        JSON.parse(text);
        whole++;
      } catch {
        torn.push(text);
      }
    }
    expect(await exited).toBe(0);
    expect(torn).toEqual([]);
    expect(whole).toBeGreaterThan(0);
  });

  it('takes over at once a fresh lock whose owner process is gone (no waiting for staleness)', async () => {
    const base = join(tempDir(), 'x');
    leaveLock(base, { pid: DEAD_PID, host: hostname(), since: '2026-01-01T00:00:00Z', command: 'renew' });
    const release = await acquireLock(spec(base));
    expect(JSON.parse(readFileSync(`${base}.owner`, 'utf8')).pid).toBe(process.pid);
    await release();
  });

  it('refuses a lock held by a live process, naming it', async () => {
    const base = join(tempDir(), 'x');
    leaveLock(base, { pid: process.pid, host: hostname(), since: '2026-01-01T00:00:00Z', command: 'renew' });
    await expect(acquireLock(spec(base))).rejects.toMatchObject({ code: 'busy', message: `held by ${process.pid}` });
  });

  it('leaves alone a lock whose owner is on another host (its pid means nothing here)', async () => {
    const base = join(tempDir(), 'x');
    leaveLock(base, { pid: DEAD_PID, host: `${hostname()}-elsewhere`, since: '2026-01-01T00:00:00Z', command: 'renew' });
    await expect(acquireLock(spec(base))).rejects.toMatchObject({ code: 'busy' });
    expect(existsSync(`${base}.lock`)).toBe(true);
  });
});

describe('acquireLock, lock without an owner', () => {
  it('takes over a lock folder left without an owner and untouched for a while (killed while taking or releasing it)', async () => {
    const { utimesSync } = await import('node:fs');
    const base = join(tempDir(), 'x');
    mkdirSync(`${base}.lock`);
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${base}.lock`, old, old);
    const release = await acquireLock(spec(base));
    expect(JSON.parse(readFileSync(`${base}.owner`, 'utf8')).pid).toBe(process.pid);
    await release();
  });

  it('waits for a fresh lock folder without an owner: its holder may be about to write it', async () => {
    const base = join(tempDir(), 'x');
    mkdirSync(`${base}.lock`);
    await expect(acquireLock(spec(base))).rejects.toMatchObject({ code: 'busy', message: 'held by nobody known' });
    expect(existsSync(`${base}.lock`)).toBe(true);
  });
});
