import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStore } from '../../src/state/file-store.js';
import { PLAIN_STORE_VERSION, SEALED_STORE_VERSION } from '../../src/state/schemas.js';
import { parseStoreKey, type StoreKey } from '../../src/state/seal.js';
import { sealedStore } from '../../src/state/sealed-store.js';
import { cliErrorOf } from '../helpers/errors.js';
import { makeProfile, makeRecord } from './fixtures/records.js';

const SECRET = 'client-secret-1f2e3d4c';
const TOKEN = 'access-token-9a8b7c6d';
const KEY_A = 'webhook-key-current-5e4d3c2b';
const KEY_B = 'webhook-key-replaced-0a1b2c3d';
const newKey = () => parseStoreKey(randomBytes(32).toString('base64')) as StoreKey;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ph-sealed-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const file = () => join(dir, 'state.json');
const open = (key: StoreKey | undefined, notices: string[] = []) => sealedStore(new FileStore(dir), key, (m) => notices.push(m));

/** A profile with a secret and a token, a current record and a replaced one. */
async function seed(key: StoreKey | undefined) {
  await open(key).update((data) => {
    data.profiles.default = makeProfile({
      clientSecret: SECRET,
      token: { accessToken: TOKEN, expiresAt: '2025-03-01T11:00:00.000Z', scopes: [] },
    });
    data.subscriptions.default = {
      b: makeRecord({ id: 'b', key: KEY_B, raw: { id: 'b', key: KEY_B }, replacedBy: 'a' }),
      a: makeRecord({ id: 'a', key: KEY_A, raw: { id: 'a', key: KEY_A } }),
    };
  });
}

/** Every form a secret could take in the file. */
const forms = (secret: string) => [
  secret,
  Buffer.from(secret).toString('base64'),
  Buffer.from(secret).toString('base64url'),
  Buffer.from(secret).toString('hex'),
];

describe('parseStoreKey', () => {
  it('reads 32 bytes of base64 (padded or not, URL-safe too) and names the key by its hash', () => {
    const bytes = randomBytes(32);
    const key = parseStoreKey(bytes.toString('base64'));
    expect(key?.bytes.equals(bytes)).toBe(true);
    expect(key?.id).toMatch(/^[0-9a-f]{16}$/);
    expect(parseStoreKey(bytes.toString('base64url'))?.id).toBe(key?.id);
    expect(parseStoreKey(` ${bytes.toString('base64')}\n`)?.id).toBe(key?.id);
    expect(parseStoreKey(undefined)).toBeUndefined();
    expect(parseStoreKey('')).toBeUndefined();
  });

  it.each([
    'short',
    randomBytes(31).toString('base64'),
    randomBytes(33).toString('base64'),
    randomBytes(32).toString('hex'),
    `${randomBytes(32).toString('base64').slice(0, 40)}!!!=`,
  ])('refuses %j with bad-store-key (exit 2), naming the variable but not the value', async (text) => {
    const error = await cliErrorOf(() => parseStoreKey(text));
    expect(error.code).toBe('bad-store-key');
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain('PROTIME_HOOKS_STORE_KEY');
    expect(`${error.message}${error.hint}`).not.toContain(text);
  });
});

describe('a sealed store', () => {
  it('keeps no secret in the file in any encoding, and gives every one back in clear', async () => {
    const key = newKey();
    await seed(key);
    const bytes = readFileSync(file(), 'utf8');
    for (const secret of [SECRET, TOKEN, KEY_A, KEY_B]) for (const form of forms(secret)) expect(bytes).not.toContain(form);
    expect(bytes).toContain(`phk-sealed:1:${key.id}:`);
    expect(JSON.parse(bytes).schemaVersion).toBe(SEALED_STORE_VERSION);

    const data = await open(key).read();
    expect(data.profiles.default?.clientSecret).toBe(SECRET);
    expect(data.profiles.default?.token?.accessToken).toBe(TOKEN);
    expect(data.subscriptions.default?.a?.key).toBe(KEY_A);
    expect(data.subscriptions.default?.b?.key).toBe(KEY_B);
    expect(data.subscriptions.default?.a?.raw).toEqual({ id: 'a', key: KEY_A });
  });

  it('writes a value it did not change back as it was, and seals a new one with a fresh nonce', async () => {
    const key = newKey();
    await seed(key);
    const before = JSON.parse(readFileSync(file(), 'utf8'));
    const store = open(key);
    await store.update((data) => {
      data.subscriptions.default!.c = makeRecord({ id: 'c', key: KEY_A, raw: null });
    });
    const after = JSON.parse(readFileSync(file(), 'utf8'));
    expect(after.profiles).toEqual(before.profiles);
    expect(after.subscriptions.default.a).toEqual(before.subscriptions.default.a);
    // The same plain key in another record is sealed anew: two sealed values never show they are equal.
    expect(after.subscriptions.default.c.key).not.toBe(before.subscriptions.default.a.key);
    expect((await store.read()).subscriptions.default?.c?.key).toBe(KEY_A);
  });

  it('leaves what an update returns in clear, though the file gets a sealed copy', async () => {
    const key = newKey();
    await seed(key);
    const record = await open(key).update((data) => data.subscriptions.default!.a!);
    expect(record.key).toBe(KEY_A);
    expect(readFileSync(file(), 'utf8')).not.toContain(KEY_A);
  });

  it('refuses to read or change it without the key (store-key-missing) or with another (store-key-wrong); the file stays as it was', async () => {
    const key = newKey();
    await seed(key);
    const before = readFileSync(file());
    const other = newKey();
    for (const [given, code] of [
      [undefined, 'store-key-missing'],
      [other, 'store-key-wrong'],
    ] as const) {
      let changed = false;
      const read = await cliErrorOf(() => open(given).read());
      const update = await cliErrorOf(() =>
        open(given).update((data) => {
          changed = true;
          data.profiles = {};
        }),
      );
      for (const error of [read, update]) {
        expect(error.code).toBe(code);
        expect(error.exitCode).toBe(4);
        expect(error.message).toContain('PROTIME_HOOKS_STORE_KEY');
        expect(error.message).toContain(key.id);
      }
      expect(changed).toBe(false);
      expect(readFileSync(file()).equals(before)).toBe(true);
    }
  });

  it('refuses a sealed value that was tampered with (store-invalid, exit 1), never giving garbage', async () => {
    const key = newKey();
    await seed(key);
    const text = readFileSync(file(), 'utf8');
    const data = JSON.parse(text);
    const sealed: string = data.profiles.default.clientSecret;
    const flipped = sealed.slice(0, -2) + (sealed.at(-2) === 'A' ? 'B' : 'A') + sealed.at(-1);
    data.profiles.default.clientSecret = flipped;
    writeFileSync(file(), JSON.stringify(data));
    const error = await cliErrorOf(() => open(key).read());
    expect(error.code).toBe('store-invalid');
    expect(error.exitCode).toBe(1);
  });

  it('seals a store written in clear on its next write, and says so once', async () => {
    await seed(undefined);
    expect(readFileSync(file(), 'utf8')).toContain(KEY_A);
    expect(JSON.parse(readFileSync(file(), 'utf8')).schemaVersion).toBe(PLAIN_STORE_VERSION);
    const key = newKey();
    const notices: string[] = [];
    const store = open(key, notices);
    expect((await store.read()).subscriptions.default?.a?.key).toBe(KEY_A);
    await store.update(() => undefined);
    await store.update(() => undefined);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain('encrypted now with PROTIME_HOOKS_STORE_KEY');
    const bytes = readFileSync(file(), 'utf8');
    for (const secret of [SECRET, TOKEN, KEY_A, KEY_B]) expect(bytes).not.toContain(secret);
  });

  it('without a key, passes a clear store through untouched', async () => {
    await seed(undefined);
    const notices: string[] = [];
    const data = await open(undefined, notices).read();
    expect(data.subscriptions.default?.b?.key).toBe(KEY_B);
    expect(notices).toEqual([]);
  });
});
