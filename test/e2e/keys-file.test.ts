/**
 * The keys file as a receiver on the same machine reads it: the built binary against the emulator,
 * a reader looping on the file while renewals run, and the file compared with `keys --json`.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CliUser, EmulatorProcess, expectExit, makeTempDir, removeTempDirs, stopAll } from './emulator-process.js';

afterEach(async () => {
  await stopAll();
  removeTempDirs();
});

const URL = 'http://127.0.0.1:9/keys-file';

describe('the keys file', () => {
  it('holds exactly the keys --json document, in its mode, rewritten atomically through 20 renewals, unsubscribe and purge', async () => {
    const emulator = await EmulatorProcess.start();
    const user = new CliUser(emulator);
    const keysFile = join(makeTempDir('ph-keys-'), 'keys.json');
    expectExit(await user.login(undefined, ['--keys-file', keysFile, '--keys-file-mode', '0640']), 0, 'login');
    expect(readFileSync(keysFile, 'utf8')).toBe('[]\n');
    let id: string = expectExit(await user.run(['subscribe', 'contracts', '--url', URL, '--json']), 0, 'subscribe').json().id;
    expect(statSync(keysFile).mode & 0o777).toBe(0o640);
    const keys = async () => expectExit(await user.run(['keys', '--json']), 0, 'keys').stdout;
    expect(readFileSync(keysFile, 'utf8')).toBe(await keys());

    // A reader re-reading the file as fast as it can while 20 renewals replace it.
    let reads = 0;
    const problems: string[] = [];
    let reading = true;
    const reader = (async () => {
      while (reading) {
        const text = readFileSync(keysFile, 'utf8');
        reads++;
        try {
          const doc = JSON.parse(text) as Array<{ key: string }>;
          if (!Array.isArray(doc) || doc.length === 0 || doc.some((k) => !k.key)) problems.push(text);
        } catch {
          problems.push(text);
        }
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    })();
    for (let n = 0; n < 20; n++) {
      const run = expectExit(await user.run(['renew', id, '--json']), 0, `renewal ${n + 1}`);
      id = run.json().results[0].newId;
    }
    reading = false;
    await reader;
    console.log(`keys file: ${reads} reads during 20 renewals, ${problems.length} partial or empty`);
    expect(problems).toEqual([]);
    expect(reads).toBeGreaterThan(100);
    expect(statSync(keysFile).mode & 0o777).toBe(0o640);

    // Replaced keys stay until their validUntil: the current one first, 21 in all.
    const doc = JSON.parse(readFileSync(keysFile, 'utf8')) as Array<{ id: string; current: boolean }>;
    expect(readFileSync(keysFile, 'utf8')).toBe(await keys());
    expect(doc).toHaveLength(21);
    expect(doc.filter((k) => k.current).map((k) => k.id)).toEqual([id]);

    // keys --output writes the same document once, 0600.
    const copy = join(makeTempDir('ph-copy-'), 'copy.json');
    const output = expectExit(await user.run(['keys', '--output', copy]), 0, 'keys --output');
    expect(output.stdout).toBe('');
    expect(readFileSync(copy, 'utf8')).toBe(readFileSync(keysFile, 'utf8'));
    expect(statSync(copy).mode & 0o777).toBe(0o600);

    // Unsubscribing drops the current key from the file at once; purging empties it.
    expectExit(await user.run(['unsubscribe', id, '--yes']), 0, 'unsubscribe');
    const after = JSON.parse(readFileSync(keysFile, 'utf8')) as Array<{ id: string }>;
    expect(after.map((k) => k.id)).not.toContain(id);
    expect(after).toHaveLength(20);
    expectExit(await user.run(['logout', '--purge', '--yes']), 0, 'logout --purge');
    expect(readFileSync(keysFile, 'utf8')).toBe('[]\n');
  });

  it('login refuses a keys file whose folder does not exist (exit 2) and stores nothing', async () => {
    const emulator = await EmulatorProcess.start();
    const user = new CliUser(emulator);
    const run = await user.login(undefined, ['--keys-file', join(makeTempDir(), 'no-such-folder', 'keys.json')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('does not exist');
    expect(expectExit(await user.run(['profiles', '--json']), 0, 'profiles').json()).toEqual([]);
  });
});
