/**
 * status --offline's fast path (src/cli/fast-status.ts) against the CLI, in-process and at one
 * fixed instant: the CLI's status --offline writes state.status, then the fast path must answer
 * exactly what the CLI printed (stdout, stderr, exit code), for seeded random states of several
 * profiles with every offline state, boundary instants, ties, odd URLs and retired records. And it
 * must give way (undefined) wherever the CLI would do or say something else.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { answer } from '../../src/cli/fast-status.js';
import { FileStore } from '../../src/state/file-store.js';
import type { SubscriptionRecord } from '../../src/state/schemas.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { makeRecord, NOW, seedStore } from '../helpers/protime.js';
import { seededRandom } from '../helpers/random.js';

const DAY = 86_400_000;
const PIPED = { stdoutIsTTY: false, stderrIsTTY: false };
const STATUS_FILE = 'state.status';

/** A record for every corner of the offline states, chosen by `random`. */
function randomRecord(random: () => number, ties: string[]): SubscriptionRecord {
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
  const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString();
  const lifetime = pick([30 * DAY, 3 * DAY, 20 * DAY, 12 * 3_600_000]);
  const validUntil = pick([
    () => at(Math.floor((random() - 0.1) * 40 * DAY)),
    () => at(pick([0, 1, -1, 7 * DAY, 7 * DAY + 1, 7 * DAY - 1, 59_000, 3_599_000, 86_399_000])),
    () => pick(ties),
    // Offsets and no milliseconds: stored as Protime gave them, compared as text by both.
    () => new Date(NOW.getTime() + Math.floor(random() * 20 * DAY)).toISOString().replace(/\.\d+Z$/, '+00:00'),
  ])();
  const created = Date.parse(validUntil) - lifetime;
  return makeRecord({
    collection: pick(['contracts', 'absences', 'people', 'clockings']),
    destinationUrl: pick([
      'https://hooks.example.com/protime',
      `https://h${Math.floor(random() * 1e6)}.example/${'p'.repeat(Math.floor(random() * 60))}`,
      'https://üñí.example/wébhook?x=1&y=2',
      'https://a.example/ ends in a space ',
      'https://color.example/\u001b[31mred\u001b[0m',
    ]),
    key: random() < 0.15 ? null : `key-${Math.floor(random() * 1e12).toString(36)}-${'k'.repeat(20)}`,
    validUntil,
    createdAt: pick([new Date(created).toISOString(), new Date(created).toISOString(), 'not a time', validUntil]),
    status: pick(['Enabled', 'Enabled', 'Enabled', 'Disabled', 'DISABLED', 'Paused']),
    ...(random() < 0.1 ? { deployPending: { event: 'renewed' as const, previousId: null, since: NOW.toISOString() } } : {}),
    ...(random() < 0.1 ? { replacedBy: 'some-other-id' } : random() < 0.05 ? { deletedAt: NOW.toISOString() } : {}),
  });
}

async function seedRandomState(dir: string, seed: number): Promise<string[]> {
  const random = seededRandom(seed);
  const ties = [new Date(NOW.getTime() + 5 * DAY).toISOString(), new Date(NOW.getTime() + 9 * DAY).toISOString()];
  const profiles = ['default', 'acme-prod', 'b.2'].slice(0, 1 + Math.floor(random() * 3));
  for (const profile of profiles) {
    const count = Math.floor(random() * 30) + (random() < 0.2 ? 0 : 1);
    await seedStore(dir, { profile, records: Array.from({ length: count }, () => randomRecord(random, ties)) });
  }
  return profiles;
}

const envFor = (dir: string, profile: string) => ({
  HOME: dir,
  PROTIME_HOOKS_CONFIG_DIR: dir,
  ...(profile === 'default' ? {} : { PROTIME_PROFILE: profile }),
});

/** The CLI's answer (which writes state.status), then the fast path's, at the same instant. */
async function both(dir: string, profile: string, extra: string[] = [], cwd = tempDir()) {
  const env = envFor(dir, profile);
  const cli = await runCli(['status', '--offline', ...extra], { env, now: NOW, cwd });
  const fast = answer(['status', '--offline', ...extra], env, cwd, PIPED, NOW);
  return { cli: { stdout: cli.stdout, stderr: cli.stderr, code: cli.code }, fast };
}

describe('status --offline fast path', () => {
  it('answers exactly what the CLI prints, table and --json, for 60 seeded random states', async () => {
    const codes = new Set<number>();
    const states = new Set<string>();
    for (let seed = 1; seed <= 60; seed++) {
      const dir = tempDir();
      const profiles = await seedRandomState(dir, seed);
      for (const profile of profiles) {
        for (const extra of [[], ['--json']]) {
          const { cli, fast } = await both(dir, profile, extra);
          expect(fast, `seed ${seed}, profile ${profile}, ${extra.join(' ')}`).toEqual(cli);
          codes.add(cli.code);
          if (extra.length === 1) for (const s of JSON.parse(cli.stdout).subscriptions) states.add(s.state);
        }
      }
    }
    // The states really cover every offline state and exit code, so the comparison meant something.
    expect([...states].sort()).toEqual(['deploy-pending', 'disabled', 'expired', 'ok', 'renew-due', 'unknown-key']);
    expect([...codes].sort()).toEqual([0, 3, 5]);
  });

  it('an empty profile: no table, the same advice on stderr', async () => {
    const dir = tempDir();
    await seedStore(dir);
    const { cli, fast } = await both(dir, 'default');
    expect(cli.stdout).toBe('');
    expect(cli.stderr).toContain('No subscriptions for profile "default"');
    expect(fast).toEqual(cli);
  });

  it('is written by status --offline only, and the index holds no key or secret', async () => {
    const dir = tempDir();
    const record = makeRecord();
    await seedStore(dir, { records: [record] });
    await runCli(['status', '--json'], { env: envFor(dir, 'default'), now: NOW });
    expect(existsSync(join(dir, STATUS_FILE))).toBe(false);
    await runCli(['keys', '--json'], { env: envFor(dir, 'default'), now: NOW });
    expect(existsSync(join(dir, STATUS_FILE))).toBe(false);
    await both(dir, 'default');
    const text = readFileSync(join(dir, STATUS_FILE), 'utf8');
    expect(text).toContain(record.id);
    expect(text).not.toContain(record.key!);
    expect(text).not.toContain('client-secret-7f3a9c');
    expect(text).not.toContain('access-token-0b1c2d3e');
  });

  it('gives way once the state changes, until a status --offline of the CLI indexes it again', async () => {
    const dir = tempDir();
    await seedStore(dir, { records: [makeRecord()] });
    const first = await both(dir, 'default');
    expect(first.fast).toEqual(first.cli);
    const added = makeRecord({ destinationUrl: 'https://added.example/' });
    await seedStore(dir, { records: [added] });
    const env = envFor(dir, 'default');
    expect(answer(['status', '--offline'], env, tempDir(), PIPED, NOW)).toBeUndefined();
    const again = await both(dir, 'default');
    expect(again.fast).toEqual(again.cli);
    expect(again.fast?.stdout).toContain('https://added.example/');
  });

  it('gives way where a secret would be scrubbed: the CLI prints [redacted]', async () => {
    const dir = tempDir();
    const other = makeRecord();
    // A destination that carries another subscription's key: the CLI scrubs it from stdout.
    await seedStore(dir, { records: [other, makeRecord({ destinationUrl: `https://x.example/?k=${other.key}` })] });
    const { cli, fast } = await both(dir, 'default');
    expect(cli.stdout).toContain('[redacted]');
    expect(cli.stdout).not.toContain(other.key!);
    expect(fast).toBeUndefined();
  });

  it('gives way to every flag, setting and file the CLI would act on', async () => {
    const dir = tempDir();
    await seedStore(dir, { records: [makeRecord()] });
    const cwd = tempDir();
    const { cli, fast } = await both(dir, 'default', [], cwd);
    expect(fast).toEqual(cli);
    const env = envFor(dir, 'default');
    const ask = (args: string[], vars: Record<string, string> = {}, where = cwd, terminal = PIPED) =>
      answer(args, { ...env, ...vars }, where, terminal, NOW);
    expect(ask(['status', '--offline'])).toBeDefined();
    expect(ask(['status', '--offline', '--quiet'])).toBeUndefined();
    expect(ask(['status', '--offline', '--collection', 'contracts'])).toBeUndefined();
    expect(ask(['status'])).toBeUndefined();
    expect(ask(['keys', '--offline'])).toBeUndefined();
    expect(ask(['status', '--offline'], {}, cwd, { stdoutIsTTY: true, stderrIsTTY: true })).toBeUndefined();
    const settings: Record<string, string>[] = [
      { PROTIME_HOOKS_DEBUG: '1' },
      { PROTIME_HOOKS_STORE: 'postgres://db/x' },
      { PROTIME_HOOKS_STORE_KEY: 'k' },
      { PROTIME_HOOKS_KEYS_FILE: '/tmp/keys.json' },
      { PROTIME_HOOKS_TIMEOUT: 'soon' },
      { PGPASSWORD: 'pw' },
      { HTTPS_PROXY: 'http://user:proxy-password@proxy.example:3128' },
      { PROTIME_PROFILE: 'no-such-profile' },
      { PROTIME_PROFILE: '../x' },
    ];
    for (const vars of settings) expect(ask(['status', '--offline'], vars), JSON.stringify(vars)).toBeUndefined();
    // Settings an offline status never uses keep the fast path.
    expect(ask(['status', '--offline'], { HTTPS_PROXY: 'http://proxy.example:3128', PROTIME_HOOKS_CA_FILE: '/x.pem' })).toBeDefined();
    const withEnv = tempDir();
    writeFileSync(join(withEnv, '.env'), 'PROTIME_PROFILE=other\n');
    expect(ask(['status', '--offline'], {}, withEnv)).toBeUndefined();
  });

  it('gives way where the CLI would tighten, refuse or report the folder, the state or the index', async () => {
    const dir = tempDir();
    await seedStore(dir, { records: [makeRecord()] });
    await both(dir, 'default');
    const env = envFor(dir, 'default');
    const ask = () => answer(['status', '--offline'], env, tempDir(), PIPED, NOW);
    expect(ask()).toBeDefined();
    chmodSync(dir, 0o755);
    expect(ask()).toBeUndefined();
    chmodSync(dir, 0o700);
    chmodSync(join(dir, 'state.json'), 0o644);
    expect(ask()).toBeUndefined();
    chmodSync(join(dir, 'state.json'), 0o600);
    // A chmod changes the file's ctime, so its identity: the index is another file's until the CLI indexes again.
    expect(ask()).toBeUndefined();
    await both(dir, 'default');
    expect(ask()).toBeDefined();
    // Cut short (a full disk): the CLI answers.
    const index = readFileSync(join(dir, STATUS_FILE), 'utf8');
    writeFileSync(join(dir, STATUS_FILE), index.slice(0, index.length - 40), { mode: 0o600 });
    expect(ask()).toBeUndefined();
    writeFileSync(join(dir, STATUS_FILE), index.replace('"clean":true', '"clean":false'), { mode: 0o600 });
    expect(ask()).toBeUndefined();
  });

  it('a profile with a keys file gives way: the CLI keeps that file in step', async () => {
    const dir = tempDir();
    await seedStore(dir, { records: [makeRecord()] });
    await new FileStore(dir).update((data) => {
      data.profiles.default!.keysFile = join(dir, 'keys.json');
    });
    const { cli, fast } = await both(dir, 'default');
    expect(cli.code).toBe(0);
    expect(existsSync(join(dir, 'keys.json'))).toBe(true);
    expect(fast).toBeUndefined();
  });

  it('a record whose validUntil is no time: no index, and the CLI answers as before', async () => {
    const dir = tempDir();
    await seedStore(dir, { records: [makeRecord({ validUntil: 'soon' })] });
    const cli = await runCli(['status', '--offline'], { env: envFor(dir, 'default'), now: NOW });
    expect(cli.code).not.toBe(0);
    expect(existsSync(join(dir, STATUS_FILE))).toBe(false);
    expect(answer(['status', '--offline'], envFor(dir, 'default'), tempDir(), PIPED, NOW)).toBeUndefined();
  });

  it('a state with sealed secrets gets no index', async () => {
    const dir = tempDir();
    await seedStore(dir, { records: [makeRecord()] });
    const key = Buffer.alloc(32, 7).toString('base64');
    const sealed = await runCli(['store', 'migrate'], { env: { ...envFor(dir, 'default'), PROTIME_HOOKS_STORE_KEY: key }, now: NOW });
    expect(sealed.code).toBe(0);
    const cli = await runCli(['status', '--offline'], { env: { ...envFor(dir, 'default'), PROTIME_HOOKS_STORE_KEY: key }, now: NOW });
    expect(cli.code).toBe(0);
    expect(existsSync(join(dir, STATUS_FILE))).toBe(false);
  });
});
