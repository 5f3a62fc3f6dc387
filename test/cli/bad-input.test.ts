import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { makeRecord, NOW, seedStore } from '../helpers/protime.js';

const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__'];
const BAD_PROFILES = [...PROTOTYPE_NAMES, '../other', 'a b', '-dash-first', 'x'.repeat(65), 'naïve', 'tab\there', 'line\nbreak', '.hidden'];
const BAD_IDS = [...PROTOTYPE_NAMES, '../../etc/passwd', 'a/b', 'x y', 'x'.repeat(129), 'id\nforged log line', 'semi;colon', 'q?x=1'];

/** Runs argv against a seeded store and checks the answer is a clean usage error that changed nothing. */
async function expectUsageError(argv: string[], code: string, env: Record<string, string> = {}) {
  const dir = tempDir();
  await seedStore(dir, { records: [makeRecord({ id: 'wh-1' })] });
  const before = readFileSync(join(dir, 'state.json'));
  const result = await runCli([...argv, '--config-dir', dir], { now: NOW, env });
  expect(result.code, result.stderr).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(/^Error: /);
  expect(result.stderr).not.toMatch(/\n\s+at \S/);
  expect(result.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
  expect(readFileSync(join(dir, 'state.json')).equals(before)).toBe(true);
  const json = await runCli([...argv, '--json', '--config-dir', dir], { now: NOW, env });
  expect(json.code).toBe(2);
  expect(json.json().error.code).toBe(code);
  expect(Object.prototype).not.toHaveProperty('polluted');
}

describe('bad input is a usage error that changes nothing', () => {
  it.each(
    BAD_PROFILES.flatMap((name) => [
      ['--profile', name, 'status', '--offline'],
      ['--profile', name, 'login', '--tenant', 'acme', '--client-id', 'c', '--client-secret-stdin'],
      ['--profile', name, 'unsubscribe', 'wh-1', '--yes'],
    ]),
  )('%j', async (...argv) => {
    await expectUsageError(argv, 'bad-profile');
  });

  it.each(BAD_PROFILES)('PROTIME_PROFILE=%j', async (name) => {
    await expectUsageError(['keys'], 'bad-profile', { PROTIME_PROFILE: name });
  });

  it.each(
    BAD_IDS.flatMap((id) => [
      ['unsubscribe', id, '--yes'],
      ['renew', id],
    ]),
  )('%j', async (...argv) => {
    await expectUsageError(argv, 'bad-id');
  });
});
