import { expect, it } from 'vitest';
import { type Backend, forEachBackend } from '../helpers/backends.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { makeRecord, mockList, NOW, seedStore } from '../helpers/protime.js';
import { at, DAY, dueRecord, mockCreate, serverOf, URL } from './renew-helpers.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the ANSI colour codes stripped.
const plain = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '');

/**
 * A renew that logs at every level: a renewal whose hook talks and then fails (hook output, error),
 * an expired subscription skipped (warning), and the one-line result (error: exit 5).
 */
async function noisyRenew(backend: Pick<Backend, 'dir' | 'seed' | 'run'>, flags: string[], tty = false) {
  const { dir } = backend;
  const due = dueRecord({ deployHook: "echo 'hook: pushing the key'; echo 'hook: receiver is down' >&2; exit 1" });
  const expired = makeRecord({ destinationUrl: `${URL}/expired`, validUntil: at(-DAY) });
  await backend.seed({ records: [due, expired] });
  mockList([serverOf(due), serverOf(expired)]);
  mockCreate({ id: 'new-1' });
  const result = await backend.run(['renew', '--config-dir', dir, ...flags], { now: NOW, tty, columns: 120 });
  return { result, due, expired };
}

forEachBackend('one log style', (backend) => {
  it.each([
    ['piped', false],
    ['on a terminal', true],
  ])('every stderr line is `[level] message` (or indented under one), %s', async (_where, tty) => {
    const { result, expired } = await noisyRenew(backend, [], tty);
    expect(result.code).toBe(5);
    const lines = plain(result.stderr).trimEnd().split('\n');
    for (const line of lines) expect(line).toMatch(/^(\[(info|success|warn|error|hook)\] |\s)/);
    expect(result.stderr).not.toMatch(/[✔ℹ✖⚠]| WARN | ERROR /);
    const prefixes = new Set(lines.map((line) => /^\[(\w+)\]/.exec(line)?.[1]).filter(Boolean));
    expect([...prefixes].sort()).toEqual(['error', 'hook', 'warn']);
    expect(plain(result.stderr)).toContain(`[warn] Skipped ${expired.id} (contracts)`);
    expect(plain(result.stderr)).toContain('[hook] hook: receiver is down');
  });

  it('an error from run.ts has the same prefix, with its hint indented', async () => {
    const result = await backend.run(['status', '--config-dir', backend.dir]);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/^\[error\] No profile named "default"\.\n {2}Run `protime-hooks login`/);
  });

  it('an info line and a --debug trace line too', async () => {
    const { dir } = backend;
    const ok = makeRecord({ validUntil: at(20 * DAY), createdAt: at(-10 * DAY) });
    await backend.seed({ records: [ok] });
    mockList([serverOf(ok)]);
    const result = await backend.run(['status', '--debug', '--config-dir', dir], { now: NOW });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^\[debug\] GET \S+\/webhooks/m);
    expect(result.stderr).toMatch(/^\[info\] 1 subscription\(s\): 1 ok\.$/m);
    for (const line of result.stderr.trimEnd().split('\n')) expect(line).toMatch(/^(\[(info|debug)\] |\s)/);
  });
});

forEachBackend('--quiet keeps what explains a non-zero exit', (backend) => {
  it('keeps the skip reason, hook output and errors in the order they happened, and drops info', async () => {
    // The loud run on a file store of its own (the same state to start from), the quiet one on the backend.
    const dir = tempDir();
    const loud = await noisyRenew({ dir, seed: (options) => seedStore(dir, options), run: runCli }, []);
    const { result, expired } = await noisyRenew(backend, ['--quiet']);
    expect(result.code).toBe(5);
    expect(result.stderr).toContain(`[warn] Skipped ${expired.id} (contracts), `);
    expect(result.stderr).toMatch(/Protime requires a full re-sync|re-sync/);
    expect(result.stderr).toContain('[hook] hook: receiver is down');
    expect(result.stderr).toMatch(/\[error\] Deploy hook .* failed: exited with code 1\./);
    expect(result.stderr).not.toContain('[info]');
    // Nothing of the loud run's warnings and errors is lost, nor reordered.
    const notInfo = (text: string) =>
      text
        .replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<id>')
        .split('\n')
        .filter((line) => !line.startsWith('[info]'));
    expect(notInfo(result.stderr)).toEqual(notInfo(loud.result.stderr));
  });

  it('prints nothing when the run succeeds, even where it would warn', async () => {
    const subscribe = async (flags: string[]) => {
      const { dir } = backend;
      await backend.seed();
      mockList([]);
      mockCreate({ id: 'new-1' });
      return backend.run(['subscribe', 'contracts', '--url', URL, '--config-dir', dir, ...flags], { now: NOW });
    };
    expect((await subscribe([])).stderr).toContain('[warn] Protime shows this key only once.');
    const result = await subscribe(['--quiet']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('new-1');
    expect(result.stderr).toBe('');
  });
});
