import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStore } from '../../src/state/file-store.js';
import { PLAIN_STORE_VERSION, STORE_VERSION } from '../../src/state/schemas.js';
import { cliErrorOf } from '../helpers/errors.js';
import { makeProfile, makeRecord } from './fixtures/records.js';

const mode = (path: string) => statSync(path).mode & 0o777;

let root: string;
let dir: string;
let file: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'protime-hooks-store-'));
  dir = join(root, 'config', 'protime-hooks');
  file = join(dir, 'state.json');
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

/** Writes a state file by hand, as another version or a damaged disk would have left it. */
function writeState(content: string | object): Buffer {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2), { mode: 0o600 });
  return readFileSync(file);
}

describe('Store file and folder modes', () => {
  it('creates the folder 0700 and the file 0600, and keeps them so over several updates', async () => {
    const store = new FileStore(dir);
    expect(mode(dir)).toBe(0o700);
    expect(store.file).toBe(file);
    expect(existsSync(file)).toBe(false);

    for (let i = 0; i < 5; i++) {
      await store.update((data) => {
        data.subscriptions.default = { ...data.subscriptions.default, [`id-${i}`]: makeRecord({ id: `id-${i}` }) };
      });
      expect(mode(file)).toBe(0o600);
      expect(mode(dir)).toBe(0o700);
    }
    // The lock is released after each update: nothing is left next to the state file.
    expect(existsSync(join(dir, 'state.lock'))).toBe(false);
  });

  it('tightens a folder that already existed as 0755', () => {
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o755);
    new FileStore(dir);
    expect(mode(dir)).toBe(0o700);
  });

  it('tightens a state file left 0644 on the next update', async () => {
    writeState({ schemaVersion: STORE_VERSION, profiles: {}, subscriptions: {} });
    chmodSync(file, 0o644);
    await new FileStore(dir).update((data) => {
      data.profiles.default = makeProfile();
    });
    expect(mode(file)).toBe(0o600);
  });
});

describe('Store.update', () => {
  it('returns what the callback returns and saves its changes for the next reader', async () => {
    const store = new FileStore(dir);
    const result = await store.update((data) => {
      data.profiles.default = makeProfile({ tenant: 'acme' });
      return { saved: 'default' };
    });
    expect(result).toEqual({ saved: 'default' });

    const fresh = await new FileStore(dir).read();
    expect(fresh).toEqual({
      schemaVersion: PLAIN_STORE_VERSION,
      profiles: { default: makeProfile({ tenant: 'acme' }) },
      subscriptions: {},
    });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(fresh);
  });

  it('awaits an async callback and returns its value', async () => {
    const store = new FileStore(dir);
    const result = await store.update(async (data) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      data.subscriptions.default = { x: makeRecord({ id: 'x' }) };
      return 42;
    });
    expect(result).toBe(42);
    expect((await store.read()).subscriptions.default?.x?.key).toBe('whk_secret_key');
  });

  it('builds on the latest file, not on a snapshot taken when the Store was created', async () => {
    const first = new FileStore(dir);
    const second = new FileStore(dir);
    await first.update((data) => {
      data.subscriptions.default = { one: makeRecord({ id: 'one' }) };
    });
    await second.update((data) => {
      data.subscriptions.default = { ...data.subscriptions.default, two: makeRecord({ id: 'two' }) };
    });
    expect(Object.keys((await first.read()).subscriptions.default ?? {})).toEqual(['one', 'two']);
  });

  it('builds on another process’s write made between two of its own (its last write is reused only while the file is unchanged)', async () => {
    const first = new FileStore(dir);
    const second = new FileStore(dir);
    const add = (store: FileStore, id: string) =>
      store.update((data) => {
        data.subscriptions.default = { ...data.subscriptions.default, [id]: makeRecord({ id }) };
      });
    await add(first, 'one');
    await add(first, 'two');
    await add(second, 'three');
    await add(first, 'four');
    // Changed in place (same inode), as an editor might: still noticed.
    writeFileSync(file, readFileSync(file, 'utf8').replace('"id": "two"', '"id": "TWO"'));
    await add(first, 'five');
    const stored = JSON.parse(readFileSync(file, 'utf8')).subscriptions.default;
    expect(Object.keys(stored)).toEqual(['one', 'two', 'three', 'four', 'five']);
    expect(stored.two.id).toBe('TWO');
  });

  it('hands back a copy of what a change returns: changing it afterwards writes nothing', async () => {
    const store = new FileStore(dir);
    const record = await store.update((data) => {
      data.subscriptions.default = { x: makeRecord({ id: 'x', status: 'Enabled' }) };
      return data.subscriptions.default.x!;
    });
    record.status = 'Disabled';
    await store.update((data) => {
      data.subscriptions.default!.y = makeRecord({ id: 'y' });
    });
    expect(JSON.parse(readFileSync(file, 'utf8')).subscriptions.default.x.status).toBe('Enabled');
  });

  it('writes nothing when the callback throws, rethrows its error and releases the lock', async () => {
    const store = new FileStore(dir);
    await store.update((data) => {
      data.subscriptions.default = { kept: makeRecord({ id: 'kept' }) };
    });
    const before = readFileSync(file);

    const boom = new Error('boom');
    await expect(
      store.update((data) => {
        data.subscriptions.default = {};
        data.profiles.default = makeProfile();
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(readFileSync(file).equals(before)).toBe(true);

    // Not stuck behind its own lock: the next update goes through.
    await expect(store.update((data) => Object.keys(data.subscriptions.default ?? {}))).resolves.toEqual(['kept']);
  });

  it('creates no file when the very first update throws', async () => {
    const store = new FileStore(dir);
    await expect(store.update(() => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(existsSync(file)).toBe(false);
  });

  it('reads an absent file as an empty store without creating it', async () => {
    expect(await new FileStore(dir).read()).toEqual({ schemaVersion: PLAIN_STORE_VERSION, profiles: {}, subscriptions: {} });
    expect(existsSync(file)).toBe(false);
  });
});

describe('Store: the network settings of a profile (0.2)', () => {
  it('reads a profile written before them, and keeps what a newer version added (an unknown token auth, unknown fields) through a write', async () => {
    writeState({
      schemaVersion: STORE_VERSION,
      profiles: {
        old: makeProfile(),
        newer: makeProfile({ caFile: '/etc/ssl/acme.pem', tokenAuth: 'private_key_jwt', proxyProfile: { name: 'corp' } }),
      },
      subscriptions: {},
    });
    const store = new FileStore(dir);
    const data = await store.read();
    expect(data.profiles.old).toEqual(makeProfile());
    expect(data.profiles.old?.tokenAuth).toBeUndefined();
    await store.update((state) => {
      state.profiles.old!.tokenAuth = 'basic';
    });
    const written = JSON.parse(readFileSync(file, 'utf8'));
    expect(written.profiles.old.tokenAuth).toBe('basic');
    expect(written.profiles.newer).toMatchObject({
      caFile: '/etc/ssl/acme.pem',
      tokenAuth: 'private_key_jwt',
      proxyProfile: { name: 'corp' },
    });
  });
});

describe('Store with a damaged or foreign file', () => {
  it('refuses a file that is not JSON with store-unreadable on first read, and leaves it untouched', async () => {
    const before = writeState('{"schemaVersion": 1, "profiles": {');
    // Opening is lazy (start-up cost); the damage is reported by the first read or update.
    const store = new FileStore(dir);
    await expect(store.update(() => undefined)).rejects.toMatchObject({ code: 'store-unreadable' });
    const error = await cliErrorOf(() => store.read());
    expect(error.code).toBe('store-unreadable');
    expect(error.exitCode).toBe(1);
    expect(error.message).toContain(file);
    expect(error.message).toContain('not valid JSON');
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('validates again a file changed in place after a valid read, even to the same size and JSON', async () => {
    const store = new FileStore(dir);
    await store.update((data) => {
      data.subscriptions.default = { x: makeRecord({ id: 'x', status: 'Enabled' }) };
    });
    await store.read();
    // Same length, still JSON, but a field of the wrong type: only validation can tell.
    const text = readFileSync(file, 'utf8');
    const damaged = text.replace('"status": "Enabled"', '"status": 12345678 ');
    expect(damaged).not.toBe(text);
    expect(damaged.length).toBe(text.length);
    writeFileSync(file, damaged);
    expect((await cliErrorOf(() => store.read())).code).toBe('store-invalid');
  });

  it('refuses a file damaged after the Store was opened, in read and update, and leaves it untouched', async () => {
    const store = new FileStore(dir);
    await store.update((data) => {
      data.subscriptions.default = { x: makeRecord({ id: 'x' }) };
    });
    const before = writeState('\u0000\u0000garbage');

    expect((await cliErrorOf(() => store.read())).code).toBe('store-unreadable');
    let called = false;
    const error = await cliErrorOf(() =>
      store.update(() => {
        called = true;
      }),
    );
    expect(error.code).toBe('store-unreadable');
    expect(called).toBe(false);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('refuses a file that breaks the schema with store-invalid naming the field, and leaves it untouched', async () => {
    const { key: _dropped, ...keyless } = makeRecord({ id: 'x' });
    const before = writeState({ schemaVersion: STORE_VERSION, profiles: {}, subscriptions: { default: { x: keyless } } });
    const store = new FileStore(dir);

    const readError = await cliErrorOf(() => store.read());
    expect(readError.code).toBe('store-invalid');
    expect(readError.message).toContain('subscriptions.default.x.key: ');
    expect(readError.hint).toMatch(/left untouched/);

    const updateError = await cliErrorOf(() => store.update((data) => (data.subscriptions = {})));
    expect(updateError.code).toBe('store-invalid');
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('refuses a file written by a newer version (same shape), untouched', async () => {
    const before = writeState({ schemaVersion: STORE_VERSION + 1, profiles: {}, subscriptions: {} });
    const store = new FileStore(dir);
    expect((await cliErrorOf(() => store.read())).code).toBe('store-too-new');
    const error = await cliErrorOf(() => store.update((data) => (data.profiles = {})));
    expect(error.code).toBe('store-too-new');
    expect(error.message).toContain(`format ${STORE_VERSION + 1}`);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('refuses a newer-version file whose shape this version does not know as too new, not as damaged', async () => {
    const before = writeState({ schemaVersion: STORE_VERSION + 1, profiles: [{ name: 'default' }], vault: { keys: {} } });
    const error = await cliErrorOf(() => new FileStore(dir).read());
    expect(error.code).toBe('store-too-new');
    expect(error.hint).toMatch(/Upgrade/);
    expect(readFileSync(file).equals(before)).toBe(true);
  });
});

describe('Store forward compatibility', () => {
  it('keeps fields it does not know, at every level, across updates', async () => {
    const original = {
      schemaVersion: STORE_VERSION,
      addedLater: { nested: [1, 2, 3] },
      profiles: {
        default: {
          ...makeProfile(),
          clientSecret: 's3cret',
          region: 'eu-west',
          token: { accessToken: 'tok', expiresAt: '2025-03-01T11:00:00.000Z', scopes: ['a'], refreshAfter: '2025-03-01T10:50:00.000Z' },
        },
      },
      subscriptions: {
        default: { old: { ...makeRecord({ id: 'old' }), signatureAlgorithm: 'sha512', notes: ['x'] } },
      },
    };
    writeState(original);
    const store = new FileStore(dir);

    await store.update((data) => {
      data.subscriptions.default!.added = makeRecord({ id: 'added' });
    });
    await store.update((data) => {
      data.profiles.default!.scopes = ['b'];
    });

    const expected = structuredClone(original) as typeof original & {
      subscriptions: { default: Record<string, unknown> };
    };
    expected.subscriptions.default.added = makeRecord({ id: 'added' });
    expected.profiles.default.scopes = ['b'];
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(expected);
  });
});

describe('Store writes in every environment', () => {
  it('replaces the file by rename (a new inode), with SNAP set too: never rewritten in place', async () => {
    const store = new FileStore(dir);
    await store.update((data) => {
      data.profiles.default = makeProfile();
    });
    const saved = process.env.SNAP;
    process.env.SNAP = '/snap/protime-hooks/1';
    try {
      const before = statSync(file).ino;
      await store.update((data) => {
        data.subscriptions.default = { x: makeRecord({ id: 'x' }) };
      });
      expect(statSync(file).ino).not.toBe(before);
      expect(mode(file)).toBe(0o600);
    } finally {
      if (saved === undefined) delete process.env.SNAP;
      else process.env.SNAP = saved;
    }
    expect((await new FileStore(dir).read()).subscriptions.default?.x?.id).toBe('x');
  });

  it('refuses a state file that is a symbolic link, in read and update, and writes nothing through it', async () => {
    const elsewhere = join(mkdtempSync(join(tmpdir(), 'ph-elsewhere-')), 'target.json');
    writeFileSync(elsewhere, JSON.stringify({ schemaVersion: STORE_VERSION, profiles: {}, subscriptions: {} }));
    const { symlinkSync } = await import('node:fs');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    symlinkSync(elsewhere, file);
    const before = readFileSync(elsewhere);
    const store = new FileStore(dir);
    expect((await cliErrorOf(() => store.read())).code).toBe('store-symlink');
    const error = await cliErrorOf(() =>
      store.update((data) => {
        data.profiles.default = makeProfile();
      }),
    );
    expect(error.code).toBe('store-symlink');
    expect(error.exitCode).toBe(1);
    expect(readFileSync(elsewhere).equals(before)).toBe(true);
    rmSync(dirname(elsewhere), { recursive: true, force: true });
  });
});

describe('state.checked: a file found valid is not validated again by the next process', () => {
  const checked = () => join(dir, 'state.checked');
  const damage = () => {
    // Same length, still JSON, a field of the wrong type: only validation can tell.
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('"status": "Enabled"', '"status": 12345678 '));
  };

  it('names the version it found valid; another process still refuses that file once it is changed in place', async () => {
    await new FileStore(dir).update((data) => {
      data.subscriptions.default = { x: makeRecord({ id: 'x', status: 'Enabled' }) };
    });
    // A writer does not record (it writes often); the next reader validates and does.
    expect(existsSync(checked())).toBe(false);
    await new FileStore(dir).read();
    const line = readFileSync(checked(), 'utf8');
    const stat = statSync(file, { bigint: true });
    expect(line).toMatch(new RegExp(` ${STORE_VERSION} ${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}\\n$`));
    expect(mode(checked())).toBe(0o600);
    expect((await new FileStore(dir).read()).subscriptions.default?.x?.status).toBe('Enabled');
    damage();
    expect((await cliErrorOf(() => new FileStore(dir).read())).code).toBe('store-invalid');
  });

  it('a writer records its last write as it exits, unless the file changed since', async () => {
    const store = new FileStore(dir);
    await store.update((data) => {
      data.subscriptions.default = { x: makeRecord({ id: 'x', status: 'Enabled' }) };
    });
    store.recordLastWrite();
    expect(readFileSync(checked(), 'utf8')).toContain(`:${statSync(file).ino}:${statSync(file).size}:`);
    rmSync(checked());
    await store.update((data) => {
      data.subscriptions.default!.y = makeRecord({ id: 'y' });
    });
    damage();
    store.recordLastWrite();
    expect(existsSync(checked())).toBe(false);
  });

  it('validates a file written by someone else, and records it once valid', async () => {
    writeState({ schemaVersion: PLAIN_STORE_VERSION, profiles: {}, subscriptions: { default: { x: makeRecord({ id: 'x' }) } } });
    expect(existsSync(checked())).toBe(false);
    await new FileStore(dir).read();
    expect(readFileSync(checked(), 'utf8')).toContain(`:${statSync(file).size}:`);
  });

  it('ignores a state.checked that does not match, and never writes through a link there', async () => {
    await new FileStore(dir).update((data) => {
      data.subscriptions.default = { x: makeRecord({ id: 'x', status: 'Enabled' }) };
    });
    damage();
    writeFileSync(checked(), 'garbage\n');
    expect((await cliErrorOf(() => new FileStore(dir).read())).code).toBe('store-invalid');
    const { symlinkSync } = await import('node:fs');
    rmSync(checked());
    const elsewhere = join(root, 'elsewhere');
    writeFileSync(elsewhere, 'untouched');
    symlinkSync(elsewhere, checked());
    writeState({ schemaVersion: PLAIN_STORE_VERSION, profiles: {}, subscriptions: {} });
    await new FileStore(dir).read();
    expect(readFileSync(elsewhere, 'utf8')).toBe('untouched');
  });
});
