import * as fs from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { ensurePrivateDir } from '../../src/state/private-dir.js';

/** Paths another process makes between our looks and our mkdir: existsSync says no, twice. */
const raced = new Map<string, number>();
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof fs>();
  return {
    ...real,
    existsSync: (path: fs.PathLike) => {
      const left = raced.get(String(path)) ?? 0;
      if (left === 0) return real.existsSync(path);
      raced.set(String(path), left - 1);
      return false;
    },
  };
});

describe('making the config dir while another process makes it too', () => {
  it('takes the folder the other made (EEXIST on mkdir) instead of failing', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'ph-race-')), 'config');
    fs.mkdirSync(dir, { mode: 0o700 }); // the other process, first
    raced.set(dir, 2);
    expect(() => ensurePrivateDir(dir)).not.toThrow();
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('still refuses a file in the way', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ph-race-')), 'config');
    fs.writeFileSync(file, 'not a folder');
    raced.set(file, 2);
    expect(() => ensurePrivateDir(file)).toThrow(/config/);
  });
});
