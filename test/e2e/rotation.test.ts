/**
 * The headline guarantee of deploy hooks and the keys file: a receiver that learns keys only from
 * one of them rejects no delivery and misses no event while webhooks are renewed under continuous
 * traffic. The receiver is the project's own example (examples/receiver.mjs), the hook its example
 * deploy hook, both run as written in the README.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { BinaryProcess, CliUser, EmulatorProcess, expectExit, freePort, makeTempDir, removeTempDirs, stopAll } from './emulator-process.js';
import { sleep } from './robustness-helpers.js';

const RECEIVER = fileURLToPath(new URL('../../examples/receiver.mjs', import.meta.url));
const HOOK = fileURLToPath(new URL('../../examples/deploy-hook.sh', import.meta.url));
const RENEWALS = 5;

interface Seen {
  verified: boolean;
  webhookId: string | null;
  changeVersion: string | null;
  status: number;
}

afterEach(async () => {
  await stopAll();
  removeTempDirs();
});

/** Every changeVersion from first to last: the emulator hands them out one by one. */
function range(first: string, last: string): string[] {
  const out: string[] = [];
  for (let v = BigInt(`0x${first}`); v <= BigInt(`0x${last}`); v++) out.push(v.toString(16).toUpperCase().padStart(20, '0'));
  return out;
}

describe('rotation under traffic: events every 100 ms, 5 renewals in a row', () => {
  it.each([
    { source: 'hook', keepOld: false },
    { source: 'keys-file', keepOld: false },
    { source: 'keys-file', keepOld: true },
  ] as const)(
    'a receiver that knows keys only from the $source (keep-old: $keepOld) rejects nothing and misses nothing',
    async ({ source, keepOld }) => {
      const emulator = await EmulatorProcess.start();
      const user = new CliUser(emulator);
      const secrets = makeTempDir('ph-secrets-');
      const keysFile = join(makeTempDir('ph-keys-'), 'keys.json');
      const pidFile = join(makeTempDir('ph-pid-'), 'receiver.pid');
      // The hook's own settings reach it through the calling environment, as they would from cron.
      const env = { SECRET_STORE_DIR: secrets, RECEIVER_PIDFILE: pidFile };
      expectExit(await user.login(undefined, source === 'keys-file' ? ['--keys-file', keysFile] : []), 0, 'login');

      const port = await freePort();
      const url = `http://127.0.0.1:${port}/hooks`;
      const hookArgs = source === 'hook' ? ['--deploy-hook', HOOK] : [];
      const created = expectExit(
        await user.run(['subscribe', 'contracts', '--url', url, '--json', ...hookArgs], { env }),
        0,
        'subscribe',
      ).json();
      expect(created.deployed).toBe(source === 'hook' ? true : null);

      mkdirSync(secrets, { recursive: true });
      const receiver = new BinaryProcess(
        [],
        { PORT: String(port), ...(source === 'hook' ? { KEYS_DIR: secrets } : { KEYS_FILE: keysFile }) },
        user.cwd,
        RECEIVER,
      );
      writeFileSync(pidFile, String(receiver.child.pid));
      await receiver.waitFor('stderr', /Receiving on .* with 1 key\(s\)/);

      const traffic = user.spawn([
        'emulator',
        'trigger',
        'contracts',
        '--every',
        '100ms',
        '--for',
        '7s',
        '--emulator-url',
        emulator.url,
        '--json',
      ]);
      await sleep(800);
      let id: string = created.id;
      const ids = [id];
      for (let n = 1; n <= RENEWALS; n++) {
        const run = expectExit(await user.run(['renew', id, '--json', ...(keepOld ? ['--keep-old'] : [])], { env }), 0, `renewal ${n}`);
        const [item] = run.json().results;
        expect(item).toMatchObject({ action: 'renewed', oldId: id, deployed: source === 'hook' ? true : null, hookErrors: [] });
        id = item.newId;
        ids.push(id);
        await sleep(300);
      }
      expect((await traffic.waitForExit(15_000)).code).toBe(0);
      const emitted = JSON.parse(traffic.stdout);
      const expected = range(emitted.firstChangeVersion, emitted.lastChangeVersion);
      expect(expected).toHaveLength(emitted.emitted);

      // Every first attempt was answered before trigger returned; give stragglers a moment anyway.
      const seen = (): Seen[] =>
        receiver.stdout
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as Seen);
      for (
        let waited = 0;
        waited < 5000 &&
        new Set(
          seen()
            .filter((s) => s.verified)
            .map((s) => s.changeVersion),
        ).size < expected.length;
        waited += 100
      )
        await sleep(100);

      const deliveries = seen();
      const rejected = deliveries.filter((d) => !d.verified);
      const verified = new Set(deliveries.filter((d) => d.verified).map((d) => d.changeVersion));
      const missing = expected.filter((v) => !verified.has(v));
      const onServer = await emulator.webhooks();
      const enabled = onServer.filter((w) => w.status === 'Enabled').map((w) => w.id);
      // The figures for the record (the closing note quotes them).
      console.log(
        `rotation via ${source}${keepOld ? ' --keep-old' : ''}: ${RENEWALS} renewals, ${expected.length} events, ${deliveries.length} deliveries, ` +
          `${deliveries.length - rejected.length} accepted, ${rejected.length} rejected, ${missing.length} events missing`,
      );
      expect(rejected).toEqual([]);
      expect(missing).toEqual([]);
      expect(expected.length).toBeGreaterThanOrEqual(40);
      // Each renewal's new webhook delivered: the receiver knew every new key.
      const deliveredBy = new Set(deliveries.map((d) => d.webhookId));
      for (const renewed of ids.slice(1)) expect(deliveredBy.has(renewed), renewed).toBe(true);
      expect(enabled.sort()).toEqual((keepOld ? ids : [id]).sort());
    },
  );
});
