import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStore } from '../../src/state/file-store.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HAMMER = fileURLToPath(new URL('./fixtures/hammer.ts', import.meta.url));
const PER_WRITER = 200;

/** What a writer reports: epoch ms of its first attempt and of its last write. */
interface Span {
  begin: number;
  last: number;
}

interface Writer {
  child: ChildProcessWithoutNullStreams;
  ready: Promise<void>;
  done: Promise<Span>;
}

/** Starts a writer process; `ready` resolves once it has opened the store and waits for "go". */
function startWriter(dir: string, name: string): Writer {
  const child = spawn(process.execPath, ['--import', 'tsx', HAMMER, dir, name, String(PER_WRITER)], { cwd: ROOT });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.startsWith('ready\n')) resolve();
    });
    child.on('exit', () => reject(new Error(`writer ${name} exited before it was ready: ${stderr}`)));
  });
  const done = new Promise<Span>((resolve, reject) => {
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`writer ${name} exited with ${code}: ${stderr}`));
      resolve(JSON.parse(stdout.slice('ready\n'.length)) as Span);
    });
  });
  return { child, ready, done };
}

describe('Store across processes', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'protime-hooks-race-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses none of 2 × 200 concurrent updates from two processes', { timeout: 30_000 }, async () => {
    const writers = [startWriter(dir, 'a'), startWriter(dir, 'b')];
    try {
      await Promise.all(writers.map((w) => w.ready));
      for (const w of writers) w.child.stdin.end('go\n');
      const [a, b] = await Promise.all(writers.map((w) => w.done));

      // Each writer began while the other was still writing, so the lock was contended. (Not
      // "their writes interleaved": a lock owes no fairness, and one writer may win every round.)
      expect(a!.begin).toBeLessThan(b!.last);
      expect(b!.begin).toBeLessThan(a!.last);

      const records = (await new FileStore(dir).read()).subscriptions.default ?? {};
      const expected = ['a', 'b'].flatMap((w) => Array.from({ length: PER_WRITER }, (_, i) => `${w}-${i}`));
      expect(Object.keys(records)).toHaveLength(2 * PER_WRITER);
      expect(Object.keys(records).sort()).toEqual(expected.sort());
      for (const id of expected) expect(records[id]?.key).toBe(`key-${id}`);
      // The file itself is one JSON document that says the same.
      const onDisk = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { subscriptions: { default: object } };
      expect(Object.keys(onDisk.subscriptions.default)).toHaveLength(2 * PER_WRITER);
    } finally {
      for (const w of writers) if (w.child.exitCode === null) w.child.kill();
    }
  });
});
