/**
 * The filesystem matrix: the built binary on a config dir in each condition a real machine has
 * (read-only for the user, a read-only or full file system, a lock path taken by a file, a
 * symlinked or readable state file, a folder someone else owns, SNAP set), for each command that
 * reads or writes the store. Each cell asserts the exit code, one clear message (no "bug", no
 * stack), the state file's bytes, and that nothing was created on Protime before its intent was
 * on disk. Conditions that need a mount are skipped with the reason where none can be mounted.
 */

import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  statfsSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDirs } from './emulator-process.js';
import { HELD_ID, HELD_KEY, HostileProtime, runMeasured } from './hostile-server.js';
import { mountTmpfs, unmountAll } from './robustness-helpers.js';

const NOBODY = { uid: 65534, gid: 65534 };
const servers: HostileProtime[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.stop();
  unmountAll();
});
afterAll(removeTempDirs);

/** The commands of the matrix: those that only read the store, and those that write it. */
const COMMANDS = {
  'status --offline': ['status', '--offline'],
  status: ['status'],
  keys: ['keys'],
  subscribe: ['subscribe', 'contracts', '--url', 'https://hooks.example.com/new'],
  renew: ['renew'],
} as const;
type CommandName = keyof typeof COMMANDS;
const WRITES: CommandName[] = ['subscribe', 'renew'];

/** What a command exits with on a healthy store: status sees the due subscription (3). */
const HEALTHY: Record<CommandName, number> = { 'status --offline': 3, status: 3, keys: 0, subscribe: 0, renew: 0 };

interface Row {
  name: string;
  /** Puts the seeded config dir into the condition. */
  setup: (dir: string) => void;
  /** Where the config dir must be made; default a temp folder. */
  place?: () => string | { skip: string };
  /** The expected exit code per command, and what the message must say when it is not 0/3. */
  exit: Partial<Record<CommandName, number>>;
  message?: RegExp;
  /** The state file may change (tightened mode, a write that went through). */
  changes?: CommandName[];
  env?: Record<string, string>;
  as?: { uid: number; gid: number };
  after?: (dir: string, command: CommandName) => void;
}

const fillUp = (dir: string) => {
  const { bavail, bsize } = statfsSync(dir);
  writeFileSync(join(dirname(dir), 'filler'), Buffer.alloc(Number(bavail) * Number(bsize)));
};

const ROWS: Row[] = [
  {
    name: 'a config dir the user may read but not write (EACCES, run as nobody)',
    setup: (dir) => {
      chmodSync(dirname(dir), 0o755);
      for (const path of [dir, join(dir, 'state.json')]) chownSync(path, NOBODY.uid, NOBODY.gid);
      chmodSync(dir, 0o500);
    },
    as: NOBODY,
    exit: { subscribe: 1, renew: 1 },
    message: /Could not take the lock \S+: permission denied \(EACCES\)/,
  },
  {
    name: 'a read-only file system (EROFS)',
    place: () => mountTmpfs('1m'),
    setup: (dir) => {
      execFileSync('mount', ['-o', 'remount,ro', dirname(dir)]);
    },
    exit: { subscribe: 1, renew: 1 },
    message: /Could not take the lock \S+: the file system is read-only \(EROFS\)/,
  },
  {
    name: 'a full disk before the command (ENOSPC)',
    place: () => mountTmpfs('256k'),
    setup: (dir) => {
      fillUp(dir);
    },
    exit: { subscribe: 1, renew: 1 },
    message: /Could not take the lock \S+: the disk is full \(ENOSPC\)/,
  },
  {
    name: "a file where the store's lock folder goes",
    setup: (dir) => {
      writeFileSync(join(dir, 'state.lock'), 'not a lock');
    },
    exit: { subscribe: 1, renew: 1 },
    message: /state\.lock is in the way of protime-hooks' lock: it is not a lock folder/,
  },
  {
    name: "a file where the profile's run lock goes",
    setup: (dir) => {
      writeFileSync(join(dir, 'run-default.lock'), 'not a lock');
    },
    exit: { subscribe: 1, renew: 1 },
    message: /run-default\.lock is in the way of protime-hooks' lock: it is not a lock folder/,
  },
  {
    name: 'a state file that is a symbolic link',
    setup: (dir) => {
      const real = join(dir, 'real.json');
      writeFileSync(real, readFileSync(join(dir, 'state.json')), { mode: 0o600 });
      execFileSync('mv', ['-f', real, join(dirname(dir), 'outside.json')]);
      execFileSync('rm', [join(dir, 'state.json')]);
      symlinkSync(join(dirname(dir), 'outside.json'), join(dir, 'state.json'));
    },
    exit: { 'status --offline': 1, status: 1, keys: 1, subscribe: 1, renew: 1 },
    message: /symbolic link/,
    after: (dir) => expect(lstatSync(join(dir, 'state.json')).isSymbolicLink()).toBe(true),
  },
  {
    name: 'a state file others can read (0644)',
    setup: (dir) => {
      chmodSync(join(dir, 'state.json'), 0o644);
    },
    exit: {},
    changes: [...WRITES],
    after: (dir) => expect(statSync(join(dir, 'state.json')).mode & 0o777).toBe(0o600),
  },
  {
    name: 'a config dir owned by another user and writable by all',
    setup: (dir) => {
      chownSync(dir, NOBODY.uid, NOBODY.gid);
      chmodSync(dir, 0o777);
    },
    exit: { 'status --offline': 1, status: 1, keys: 1, subscribe: 1, renew: 1 },
    message: /belongs to another user \(uid 65534\)/,
    after: (dir) => expect(statSync(dir).mode & 0o7777).toBe(0o777),
  },
  {
    name: 'SNAP set (snap packages set it)',
    setup: () => {},
    env: { SNAP: '/snap/x/1', SNAP_NAME: 'x' },
    exit: {},
    changes: [...WRITES],
    after: (dir) => JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')),
  },
];

describe.each(ROWS)('$name', (row) => {
  it.for(Object.keys(COMMANDS) as CommandName[])('%s', async (command, context) => {
    const place = row.place?.() ?? makeTempDir('ph-fs-');
    if (typeof place !== 'string') {
      console.log(`filesystem matrix: "${row.name}" skipped: ${place.skip}`);
      context.skip();
      return;
    }
    const protime = await HostileProtime.start({});
    servers.push(protime);
    const dir = join(place, 'config');
    mkdirSync(dir, { mode: 0o700 });
    await protime.seed({ dir });
    row.setup(dir);
    const stateFile = join(dir, 'state.json');
    const before = readFileSync(stateFile);
    // Held open through the run, so its inode number cannot be freed and handed to a later write.
    const held = openSync(stateFile, 'r');
    const inodeBefore = fstatSync(held).ino;

    const run = await runMeasured([...COMMANDS[command]], { PROTIME_HOOKS_CONFIG_DIR: dir, ...row.env }, '', row.as);

    const expected = row.exit[command] ?? HEALTHY[command];
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.code, output).toBe(expected);
    expect(output).not.toMatch(/This is a bug|Unexpected error|\n\s+at \S+ \(/);
    if (expected !== HEALTHY[command] && row.message) expect(run.stderr).toMatch(row.message);
    const after = readFileSync(stateFile);
    if (row.changes?.includes(command)) {
      // A write went through: atomically (a new file, renamed over), with every key kept.
      expect(statSync(stateFile).ino).not.toBe(inodeBefore);
      expect(JSON.parse(after.toString()).subscriptions.default[HELD_ID].key).toBe(HELD_KEY);
    } else {
      expect(after.equals(before), 'state file bytes unchanged').toBe(true);
    }
    // A refused write never reached Protime: the intent comes before the POST.
    if (expected !== HEALTHY[command]) expect(protime.seen.filter((s) => s.method !== 'GET')).toEqual([]);
    closeSync(held);
    row.after?.(dir, command);
  });
});

describe('a config dir made by several processes at once', () => {
  it('ten commands started together on a folder that does not exist yet all get it (none fails making it)', async () => {
    const dir = join(makeTempDir('ph-race-'), 'a', 'b', 'config');
    const runs = await Promise.all(
      Array.from({ length: 10 }, () => runMeasured(['status', '--offline', '--json'], { PROTIME_HOOKS_CONFIG_DIR: dir })),
    );
    // Not logged in (4) is the answer each must give; a lost race on mkdir was exit 1.
    expect(runs.map((r) => [r.code, r.code === 4 ? '' : r.stderr])).toEqual(Array(10).fill([4, '']));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });
});
